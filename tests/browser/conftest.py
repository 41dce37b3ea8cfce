"""Fixtures of the browser tests: a real hypercorn, and Debian's Chromium driven by Playwright.

Without Chromium the tests are skipped with one line saying how to install it, unless
PIZZA_REQUIRE_BROWSER is set (CI sets it): then a missing browser is an error.
"""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ViewportSize, async_playwright

from ..helpers import Server, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MISSING = "Chromium is missing: apt-get install chromium (the browser tests need it)"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("PIZZA_REQUIRE_BROWSER"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    return CHROMIUM


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    yield from serving(tmp_path, workers=1, database_url=database_url)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium,
            # As root in a container Chromium needs no sandbox; the machine has no network
            # beyond loopback, so Chromium's own background traffic is turned off.
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],  # fmt: skip
        )
        yield browser
        await browser.close()


@pytest.fixture
def viewport() -> str:
    """The screen: a test parametrizes it to run on a phone (390 px) too."""
    return "desktop"


@pytest.fixture
async def context(browser: Browser, server: Server, viewport: str) -> AsyncIterator[BrowserContext]:
    size: dict[str, ViewportSize] = {
        "desktop": {"width": 1280, "height": 900},
        "phone": {"width": 390, "height": 844},
    }
    context = await browser.new_context(
        base_url=server.url, viewport=size[viewport], is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )  # fmt: skip
    yield context
    await context.close()

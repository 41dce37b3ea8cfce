"""Whole journeys in a real browser (Debian's Chromium, Playwright) against real hypercorn,
each page checked with axe-core: no serious or critical accessibility violation."""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import BrowserContext, Page, expect

from ..helpers import Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

AXE = Axe()
# `PIZZA_SCREENSHOTS=docs/screenshots make test` refreshes the README's pictures.
SCREENSHOTS = os.environ.get("PIZZA_SCREENSHOTS")


async def accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    results = await AXE.run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


async def add_to_cart(page: Page, pizza: str, size: str, quantity: int) -> None:
    await page.goto("/")
    await page.select_option("#pizza", label=pizza)
    await page.get_by_role("radio", name=size).check()
    await page.fill("#quantity", str(quantity))
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page).to_have_url(re.compile(r"/cart$"))


async def no_horizontal_scroll(page: Page) -> None:
    """Nothing sticks out of the page sideways (the phone's items tables did)."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
async def test_a_guest_fills_a_cart_changes_it_and_checks_out(
    context: BrowserContext, viewport: str
) -> None:
    page = await context.new_page()
    await page.goto("/")
    await accessible(page)
    await add_to_cart(page, "Margherita", "Small", 2)
    await add_to_cart(page, "Pepperoni", "Large", 1)
    await add_to_cart(page, "Funghi", "Medium", 3)
    await expect(page.locator(".cart-link .count")).to_have_text("6")
    rows = page.locator("table.items tbody tr")
    await expect(rows).to_have_count(3)
    # Change one: three small margheritas instead of two.
    await page.get_by_label("Quantity of small Margherita").fill("3")
    await rows.nth(0).get_by_role("button", name="Update").click()
    await expect(page.get_by_label("Quantity of small Margherita")).to_have_value("3")
    # Remove one.
    await rows.nth(1).get_by_role("button", name=re.compile("Remove")).click()
    await expect(rows).to_have_count(2)
    await expect(page.locator("#cart-total")).to_have_text("$60.00")  # 3 x 8.00 + 3 x 12.00
    await accessible(page)
    await no_horizontal_scroll(page)
    await screenshot(page, f"cart-{viewport}")
    await page.get_by_role("button", name=re.compile("Check out")).click()
    await expect(page).to_have_url(re.compile(r"/success$"))
    success = page.locator("main")
    await expect(success).to_contain_text("Margherita")
    await expect(success).to_contain_text("Funghi")
    await expect(success).not_to_contain_text("Pepperoni")
    await expect(success).to_contain_text("$60.00")
    await expect(page.locator(".cart-link .count")).to_have_count(0)  # the cart is empty
    await accessible(page)
    await no_horizontal_scroll(page)
    await screenshot(page, f"success-{viewport}")
    await page.get_by_role("link", name="Order page").click()
    await no_horizontal_scroll(page)
    await accessible(page)


async def test_a_guest_with_a_cart_registers_and_keeps_it(context: BrowserContext) -> None:
    page = await context.new_page()
    await add_to_cart(page, "Diavola", "Large", 2)
    await page.get_by_role("link", name="Register").click()
    await accessible(page)
    await page.fill("#username", "cartkeeper")
    await page.fill("#password", "pepperoni4ever")
    await page.get_by_role("button", name="Register").click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await accessible(page)
    await page.get_by_role("link", name=re.compile("^Cart")).click()
    await expect(page.locator("table.items tbody tr")).to_have_count(1)
    await expect(page.locator("main")).to_contain_text("Diavola")


async def test_order_again_from_the_dashboard(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/register")
    await page.fill("#username", "regular")
    await page.fill("#password", "pepperoni4ever")
    await page.get_by_role("button", name="Register").click()
    await page.goto("/")
    await page.select_option("#pizza", label="Quattro Formaggi")
    await page.fill("#quantity", "2")
    await page.get_by_role("button", name="Order now").click()
    await expect(page).to_have_url(re.compile(r"/success$"))
    await page.goto("/dashboard")
    await page.get_by_role("button", name=re.compile("Order again")).first.click()
    await expect(page).to_have_url(re.compile(r"/cart$"))
    await expect(page.locator("main")).to_contain_text("Quattro Formaggi")
    await expect(page.get_by_label("Quantity of medium Quattro Formaggi")).to_have_value("2")


async def test_preferences_change_the_menu(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/")
    await expect(page.locator(".cards")).to_contain_text("Pepperoni")
    await page.get_by_role("link", name="Preferences").click()
    await accessible(page)
    await page.get_by_role("radio", name="Large").check()
    await page.get_by_label("Show vegetarian pizzas only").check()
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page).to_have_url(re.compile(r"/$"))
    await expect(page.locator(".cards")).not_to_contain_text("Pepperoni")
    await expect(page.locator(".cards")).to_contain_text("Margherita")
    await expect(page.get_by_role("radio", name="Large")).to_be_checked()


async def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_checkout_with_the_keyboard_only(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/")
    await tab_to(page, "#pizza")
    await page.keyboard.press("ArrowDown")  # the second pizza: Pepperoni
    await tab_to(page, "#quantity")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("2")
    await tab_to(page, "button[formaction]")  # Add to cart
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/cart$"))
    await expect(page.locator("main")).to_contain_text("Pepperoni")
    await tab_to(page, ".checkout button")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/success$"))
    await expect(page.locator("main")).to_contain_text("Pepperoni")


async def test_every_other_page_is_accessible(context: BrowserContext) -> None:
    page = await context.new_page()
    for path in ("/login", "/register", "/cart", "/preferences", "/nope", "/docs"):
        await page.goto(path)
        await accessible(page)
    await page.goto("/register")
    await page.fill("#username", "looker")
    await page.fill("#password", "pepperoni4ever")
    await page.get_by_role("button", name="Register").click()
    for path in ("/dashboard", "/account/password"):
        await page.goto(path)
        await accessible(page)
    # Errors shown next to their fields are announced and tied to them.
    await page.goto("/")
    await page.fill("#quantity", "99")
    await page.get_by_role("button", name="Order now").click()
    await expect(page.locator("#quantity")).to_have_attribute("aria-invalid", "true")
    await accessible(page)


async def test_the_docs_page_shows_the_api_from_the_shop_itself(
    context: BrowserContext, server: Server
) -> None:
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.goto("/docs")
    await expect(page.locator("#swagger-ui")).to_contain_text("/api/orders", timeout=15000)
    assert requested and all(url.startswith(server.url) for url in requested), requested

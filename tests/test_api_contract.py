"""The JSON API keeps every promise of its OpenAPI document: schemathesis, with its default
checks (no server errors, every status and header documented, bodies as documented, 405 with
Allow for other methods), against real hypercorn."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .helpers import Server, serving

pytestmark = pytest.mark.server


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    yield from serving(tmp_path, workers=1, database_url=database_url)


def test_schemathesis_finds_nothing(server: Server, tmp_path: Path) -> None:
    # A guest session: its cookie and CSRF token let the generated requests through to the
    # validation they are meant to probe.
    with httpx.Client(base_url=server.url) as client:
        token = client.get("/api/session").json()["csrf_token"]
        cookie = client.cookies["pizza_session"]
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{server.url}/openapi.json",
        "--header", f"Cookie: pizza_session={cookie}",
        "--header", f"X-CSRF-Token: {token}",
        "--max-examples", "200",
        "--generation-deterministic",
        "--workers", "1",
        "--report-har-path", str(tmp_path / "schemathesis.har"),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env=os.environ | {"NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

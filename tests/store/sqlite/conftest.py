"""The SQLite store's own tests: their apps run on SQLite only."""

import pytest


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name

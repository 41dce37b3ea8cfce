"""The PostgreSQL store's own tests: their apps run on PostgreSQL only."""

import pytest


@pytest.fixture(params=["postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name

"""The limits on guessing passwords and on registering accounts, counted in the database so
that every worker and host agrees; a request over a limit is a 429 that hashes nothing."""

from dataclasses import dataclass
from datetime import timedelta

from quart import current_app, request

from ..models.times import ago_text, seconds_until
from ..models.user import Attempts
from ..store import get_store


@dataclass
class TooManyAttemptsError(Exception):
    """Over a limit: try again in `retry_after` seconds."""

    message: str
    retry_after: int


def client_address() -> str:
    """The client's address: the connection's, or the proxy's report of it when the proxies
    in front are trusted (`TRUSTED_PROXY_HOPS`); never a header the client can set alone."""
    return request.remote_addr or "unknown"


def _over(attempts: Attempts, limit: int, window: timedelta, message: str) -> None:
    if limit and attempts.count >= limit and attempts.oldest_at is not None:
        raise TooManyAttemptsError(message, seconds_until(attempts.oldest_at, window))


async def check_login_attempts(username: str) -> None:
    """Raise `TooManyAttemptsError` if this username, or this client, failed too often."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    by_username, by_client = await get_store().login_failures(
        username, client_address(), ago_text(window)
    )
    message = "Too many failed logins. Please wait before trying again."
    _over(by_username, config["LOGIN_MAX_FAILURES"], window, message)
    _over(by_client, config["LOGIN_CLIENT_MAX_FAILURES"], window, message)


async def record_login_failure(username: str) -> None:
    await get_store().record_login_failure(username, client_address())


async def count_registration() -> None:
    """Count a registration attempt from this client; raise `TooManyAttemptsError` first if
    it registered too often."""
    config = current_app.config
    limit = config["REGISTER_CLIENT_MAX"]
    if not limit:
        return
    window = timedelta(seconds=config["REGISTER_CLIENT_WINDOW"])
    store = get_store()
    attempts = await store.registrations(client_address(), ago_text(window))
    _over(attempts, limit, window, "Too many accounts were created from here. Try again later.")
    await store.record_registration(client_address())

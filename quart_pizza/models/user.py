"""Customer accounts, their logins (one per browser) and the limits on guessing passwords."""

import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    staff: bool = False


@dataclass(frozen=True)
class Login:
    """A browser logged in to an account; its session cookie holds the login's token."""

    id: int
    created_at: str  # UTC, ISO 8601
    last_seen_at: str
    user_agent: str
    current: bool = False  # the login of the request that asked


@dataclass(frozen=True)
class Attempts:
    """How many attempts were counted in a window, and when the oldest of them was."""

    count: int
    oldest_at: str | None  # UTC, ISO 8601


class UsernameTakenError(Exception):
    """Another account already has this username (compared case-insensitively)."""


class LoginEndedError(Exception):
    """The session's login was logged out, revoked or has expired: the session is anonymous."""


def new_login_token() -> str:
    """A random token for the session cookie; the database keeps only its hash."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores of a login token: a leaked table logs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()

"""What the signed session cookie holds, and the only code that changes it.

Keys: `user_id` and `username` (logged in), `order_id` (the last order placed from this
session), `guest_key` (a random key, made with the CSRF token, that owns a guest's orders
until they log in) and `csrf_token`. The cookie is signed, not encrypted: it never holds
anything secret.
"""

import secrets

from quart import session

from ..models.order import Owner


def current_user_id() -> int | None:
    user_id = session.get("user_id")
    return user_id if isinstance(user_id, int) else None


def current_guest_key() -> str | None:
    key = session.get("guest_key")
    return key if isinstance(key, str) else None


def current_owner() -> Owner:
    """Who this session is: the customer when logged in, else the guest's key (if any)."""
    user_id = current_user_id()
    return Owner(user_id, None if user_id is not None else current_guest_key())


def ordering_owner() -> Owner:
    """The owner of an order placed now: the customer, or the guest (given a key if need be)."""
    user_id = current_user_id()
    return Owner(user_id, None if user_id is not None else ensure_guest_key())


def last_order_id() -> int | None:
    order_id = session.get("order_id")
    return order_id if isinstance(order_id, int) else None


def ensure_guest_key() -> str:
    """The guest key of this session, created with its CSRF token (or here, if missing)."""
    key = current_guest_key()
    if key is None:
        key = secrets.token_urlsafe(18)
        session["guest_key"] = key
    return key


def remember_order(order_id: int) -> None:
    session["order_id"] = order_id


def forget_order() -> None:
    session.pop("order_id", None)


def log_in(user_id: int, username: str, *, order_id: int | None) -> None:
    """Start a fresh session for the user: nothing of the old session survives but the order."""
    session.clear()
    session["user_id"] = user_id
    session["username"] = username
    if order_id is not None:
        session["order_id"] = order_id


def log_out() -> None:
    session.clear()

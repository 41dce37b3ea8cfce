"""What the signed session cookie holds, and the only code that changes it.

Keys: `user_id`, `username` and `login` (the token of the server-side login the store checks:
without a live login the session is a guest's), `order_id` (the last order placed from this
session), `guest_key` (a random key, made with the CSRF token, that owns a guest's orders),
`csrf_token`, `cart` (lines of pizza id, size letter and quantity: never a name or a price) and
`prefs` (a preferred size letter, and vegetarian only). The cookie is signed, not encrypted:
it never holds anything secret beyond the login token, which the server can revoke.
"""

import secrets
from urllib.parse import urlencode

from quart import abort, request, session, url_for

from ..models.cart import MAX_LINES, Cart, CartLine, size_code, size_from_code
from ..models.order import Owner
from ..models.preferences import Preferences
from ..models.user import LoginEndedError
from ..store import get_store
from .redirects import see_other


def current_user_id() -> int | None:
    """The customer this session says it is (checked by the store when it acts for them)."""
    user_id = session.get("user_id")
    login = session.get("login")
    return user_id if isinstance(user_id, int) and isinstance(login, str) else None


def current_guest_key() -> str | None:
    key = session.get("guest_key")
    return key if isinstance(key, str) else None


def current_owner() -> Owner:
    """Who this session is: the customer and their login, else the guest's key (if any)."""
    user_id = current_user_id()
    if user_id is not None:
        return Owner(user_id, None, session["login"])
    return Owner(None, current_guest_key())


def ordering_owner() -> Owner:
    """The owner of an order placed now: the customer, or the guest (given a key if need be)."""
    owner = current_owner()
    return owner if owner.user_id is not None else Owner(None, ensure_guest_key())


async def checked_owner() -> Owner:
    """`current_owner`, once the store has checked the login; a session whose login has ended
    becomes a guest's (for views that would not otherwise ask the store)."""
    owner = current_owner()
    if owner.user_id is None:
        return owner
    try:
        await get_store().verify(owner)
    except LoginEndedError:
        end_session()
        return Owner(None, None)
    return owner


def login_required() -> Owner:
    """The logged-in customer; anyone else is sent to the login page (and back here)."""
    owner = current_owner()
    if owner.user_id is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        query = "?" + urlencode({"next": target}, safe="/") if target else ""
        abort(see_other(url_for("auth.login") + query))
    return owner


def stream_key() -> str:
    """Who to count open streams against: the login, else the guest (else the session's
    CSRF token, which every session that can read a page has)."""
    owner = current_owner()
    if owner.login is not None:
        return f"login:{owner.login}"
    if owner.guest_key is not None:
        return f"guest:{owner.guest_key}"
    return f"session:{session.get('csrf_token', '')}"


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


def user_agent() -> str:
    """What the browser calls itself, for the list of the customer's logins."""
    return request.headers.get("User-Agent", "")[:200]


def show_kitchen_link(staff: bool) -> None:
    """The navigation's link to /kitchen, for staff. Only the link: /kitchen itself asks the
    database every time, so a role taken away ends at once whatever the cookie says."""
    if staff != session.get("staff", False):  # unchanged: no new cookie on every page
        if staff:
            session["staff"] = True
        else:
            session.pop("staff")


def remember_order(order_id: int) -> None:
    session["order_id"] = order_id


def forget_order() -> None:
    session.pop("order_id", None)


def start_session(
    owner: Owner, username: str, *, staff: bool = False, order_id: int | None = None
) -> None:
    """A fresh session for the customer's new login: nothing of the old one survives (the
    CSRF token is new too) but the visitor's own unplaced choices (cart, preferences) and the
    order the customer just placed, if given."""
    assert owner.user_id is not None and owner.login is not None
    kept = {key: session[key] for key in ("cart", "prefs") if key in session}
    session.clear()
    session.update(kept)
    session["user_id"] = owner.user_id
    session["username"] = username
    session["login"] = owner.login
    if staff:
        show_kitchen_link(True)
    if order_id is not None:
        session["order_id"] = order_id


def current_cart() -> Cart:
    """The session's cart; lines that do not parse (an old or tampered cookie) are dropped."""
    lines = []
    stored = session.get("cart")
    for entry in stored if isinstance(stored, list) else ():
        if not (isinstance(entry, list) and len(entry) == 3):
            continue
        pizza_id, code, quantity = entry
        size = size_from_code(code)
        if type(pizza_id) is int and type(quantity) is int and size is not None:
            lines.append(CartLine(pizza_id, size, quantity))
    return Cart(tuple(lines[:MAX_LINES]))


def save_cart(cart: Cart) -> None:
    if cart.lines:
        session["cart"] = [[line.pizza_id, size_code(line.size), line.quantity]
                           for line in cart.lines]  # fmt: skip
    else:
        session.pop("cart", None)


def current_preferences() -> Preferences:
    stored = session.get("prefs")
    if not isinstance(stored, dict):
        return Preferences()
    return Preferences(size_from_code(stored.get("size")), stored.get("veg") is True)


def save_preferences(preferences: Preferences) -> None:
    stored: dict[str, object] = {}
    if preferences.size is not None:
        stored["size"] = size_code(preferences.size)
    if preferences.vegetarian:
        stored["veg"] = True
    if stored:
        session["prefs"] = stored
    else:
        session.pop("prefs", None)


def end_session() -> None:
    session.clear()

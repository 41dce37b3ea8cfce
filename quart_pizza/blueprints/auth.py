"""`/register`, `/login` and `/logout`: accounts and the logged-in session."""

from quart import Blueprint, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..models.user import UsernameTakenError
from ..passwords import get_passwords
from ..store import get_store
from ..web.forms import FormError, parse_login, parse_registration
from ..web.redirects import see_other
from ..web.security import safe_next
from ..web.sessions import current_guest_key, current_user_id, last_order_id, log_in, log_out

bp = Blueprint("auth", __name__)


async def start_session(user_id: int, username: str) -> None:
    """Log the user in; a guest's orders placed in this session move into the account."""
    guest_key = current_guest_key() if current_user_id() is None else None
    if guest_key is not None:
        await get_store().claim_guest_orders(guest_key, user_id)
    log_in(user_id, username, order_id=last_order_id() if guest_key is not None else None)


@bp.route("/register", methods=["GET", "POST"])
async def register() -> ResponseReturnValue:
    if request.method == "GET":
        return await render_template("register.html", values={}, errors={})
    form = await request.form
    try:
        credentials = parse_registration(form)
    except FormError as error:
        return await render_template("register.html", values=form, errors=error.errors), 400
    password_hash = await get_passwords().hash(credentials.password)
    try:
        user_id = await get_store().create_user(credentials.username, password_hash)
    except UsernameTakenError:
        errors = {"username": "That username is taken; pick another or log in."}
        return await render_template("register.html", values=form, errors=errors), 409
    await start_session(user_id, credentials.username)
    await flash(f"Welcome, {credentials.username}! Your account is ready.")
    return see_other(url_for("dashboard.index"))


@bp.route("/login", methods=["GET", "POST"])
async def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        return await render_template("login.html", values={}, errors={}, next_url=next_url)
    form = await request.form
    next_url = safe_next(form.get("next")) or next_url
    try:
        credentials = parse_login(form)
    except FormError as error:
        return await render_template(
            "login.html", values=form, errors=error.errors, next_url=next_url
        ), 400
    user = await get_store().user_named(credentials.username)
    passwords = get_passwords()
    # verify() spends the same time on an unknown username as on a wrong password.
    if not await passwords.verify(user.password_hash if user else None, credentials.password):
        errors = {"form": "Wrong username or password."}
        return await render_template(
            "login.html", values=form, errors=errors, next_url=next_url
        ), 401
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        new_hash = await passwords.hash(credentials.password)
        await get_store().set_password_hash(user.id, new_hash)
    await start_session(user.id, user.username)
    await flash(f"Welcome back, {user.username}!")
    return see_other(next_url or url_for("dashboard.index"))


@bp.post("/logout")
async def logout() -> ResponseReturnValue:
    log_out()
    await flash("You have been logged out.")
    return see_other(url_for("menu.index"))

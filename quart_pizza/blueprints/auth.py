"""`/register`, `/login` and `/logout`: accounts and the logged-in session."""

from datetime import timedelta

from quart import Blueprint, current_app, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..models.order import Owner
from ..models.preferences import Preferences
from ..models.times import ago_text
from ..models.user import UsernameTakenError
from ..passwords import get_passwords
from ..store import get_store
from ..web.forms import FormError, parse_login, parse_registration
from ..web.limits import (
    TooManyAttemptsError,
    check_login_attempts,
    count_registration,
    record_login_failure,
)
from ..web.redirects import see_other
from ..web.security import safe_next
from ..web.sessions import (
    current_guest_key,
    current_owner,
    current_preferences,
    end_session,
    last_order_id,
    save_preferences,
    start_session,
    user_agent,
)

bp = Blueprint("auth", __name__)

# Logging out asks the browser to drop everything this site stored in it.
CLEAR_SITE_DATA = ("Clear-Site-Data", '"cache", "cookies", "storage"')


async def keep_preferences(owner: Owner) -> None:
    """The account's saved preferences follow the customer to this browser; an account with
    none keeps the ones chosen here as a guest."""
    store = get_store()
    saved = await store.preferences(owner)
    if saved is not None:
        save_preferences(saved)
    elif current_preferences() != Preferences():
        await store.save_preferences(owner, current_preferences())


@bp.route("/register", methods=["GET", "POST"])
async def register() -> ResponseReturnValue:
    if request.method == "GET":
        return await render_template("register.html", values={}, errors={})
    form = await request.form
    try:
        credentials = parse_registration(form)
    except FormError as error:
        return await render_template("register.html", values=form, errors=error.errors), 400
    try:
        await count_registration()
    except TooManyAttemptsError as error:
        page = await render_template("register.html", values=form, errors={"form": error.message})
        return page, 429, {"Retry-After": str(error.retry_after)}
    password_hash = await get_passwords().hash(credentials.password)
    # The guest who ordered minutes ago and now registers keeps those orders.
    guest_key = current_guest_key() if current_owner().user_id is None else None
    window = timedelta(seconds=current_app.config["GUEST_ORDERS_CLAIM_WINDOW"])
    try:
        owner = await get_store().register(
            credentials.username,
            password_hash,
            user_agent(),
            guest_key=guest_key,
            guest_orders_since=ago_text(window),
        )
    except UsernameTakenError:
        errors = {"username": "That username is taken; pick another or log in."}
        return await render_template("register.html", values=form, errors=errors), 409
    start_session(owner, credentials.username, order_id=last_order_id() if guest_key else None)
    await keep_preferences(owner)
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
    try:
        # Before any hashing: over the limit, even the right password waits.
        await check_login_attempts(credentials.username)
    except TooManyAttemptsError as error:
        page = await render_template(
            "login.html", values=form, errors={"form": error.message}, next_url=next_url
        )
        return page, 429, {"Retry-After": str(error.retry_after)}
    store = get_store()
    user = await store.user_named(credentials.username)
    passwords = get_passwords()
    # verify() spends the same time on an unknown username as on a wrong password.
    if not await passwords.verify(user.password_hash if user else None, credentials.password):
        await record_login_failure(credentials.username)
        errors = {"form": "Wrong username or password."}
        return await render_template(
            "login.html", values=form, errors=errors, next_url=next_url
        ), 401
    assert user is not None
    new_hash = None
    if passwords.needs_rehash(user.password_hash):
        new_hash = await passwords.hash(credentials.password)
    owner = await store.log_in(user, user_agent(), new_hash=new_hash)
    # A fresh session: a guest's orders and last order stay the guest's; the cart stays.
    start_session(owner, user.username, staff=user.staff)
    await keep_preferences(owner)
    await flash(f"Welcome back, {user.username}!")
    return see_other(next_url or url_for("dashboard.index"))


@bp.post("/logout")
async def logout() -> ResponseReturnValue:
    await get_store().log_out(current_owner())
    end_session()
    response = see_other(url_for("menu.index"))
    response.headers.add(*CLEAR_SITE_DATA)
    return response

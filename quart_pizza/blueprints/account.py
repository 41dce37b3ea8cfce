"""`/account/...`: the customer's logins (this browser and the others) and their password."""

from quart import Blueprint, abort, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..passwords import get_passwords
from ..store import get_store
from ..web.forms import FormError, parse_password_change
from ..web.redirects import see_other
from ..web.sessions import end_session, login_required

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.post("/sessions/<int:login_id>/revoke")
async def revoke(login_id: int) -> ResponseReturnValue:
    """End one of the customer's logins (another browser, or this one)."""
    owner = login_required()
    if not await get_store().end_login(owner, login_id):
        abort(404)
    await flash("That session has been logged out.")
    return see_other(url_for("dashboard.index"))


@bp.post("/logout-everywhere")
async def logout_everywhere() -> ResponseReturnValue:
    await get_store().end_every_login(login_required())
    end_session()
    await flash("You have been logged out on every device.")
    return see_other(url_for("menu.index"))


@bp.route("/password", methods=["GET", "POST"])
async def password() -> ResponseReturnValue:
    owner = login_required()
    if request.method == "GET":
        await get_store().verify(owner)
        return await render_template("password.html", errors={})
    form = await request.form
    try:
        change = parse_password_change(form)
    except FormError as error:
        return await render_template("password.html", errors=error.errors), 400
    store = get_store()
    user = await store.account(owner)
    passwords = get_passwords()
    if not await passwords.verify(user.password_hash, change.current_password):
        errors = {"current_password": "That is not your current password."}
        return await render_template("password.html", errors=errors), 400
    await store.change_password(owner, await passwords.hash(change.new_password))
    await flash("Your password has been changed; every other session has been logged out.")
    return see_other(url_for("dashboard.index"))

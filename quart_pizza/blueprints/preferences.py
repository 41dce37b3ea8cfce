"""`/preferences`: a size preselected on the forms, and vegetarian pizzas only."""

from quart import Blueprint, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..models.menu import SIZES
from ..store import get_store
from ..web.forms import FormError, parse_preferences
from ..web.redirects import see_other
from ..web.sessions import current_owner, current_preferences, save_preferences

bp = Blueprint("preferences", __name__)


@bp.route("/preferences", methods=["GET", "POST"])
async def edit() -> ResponseReturnValue:
    if request.method == "GET":
        return await render_template(
            "preferences.html", preferences=current_preferences(), sizes=SIZES, errors={}
        )
    try:
        preferences = parse_preferences(await request.form)
    except FormError as error:
        page = await render_template(
            "preferences.html", preferences=current_preferences(), sizes=SIZES,
            errors=error.errors,
        )  # fmt: skip
        return page, 400
    owner = current_owner()
    if owner.user_id is not None:  # a customer's follow them to a new browser at login
        await get_store().save_preferences(owner, preferences)
    save_preferences(preferences)
    await flash("Your preferences are saved.")
    return see_other(url_for("menu.index"))

"""`/`: the menu with prices and the order form."""

import secrets
from collections.abc import Mapping

from quart import Blueprint, current_app, render_template
from quart.typing import ResponseReturnValue

from ..db import get_db
from ..forms import MAX_QUANTITY
from ..models.menu import SIZES, MenuCache, Pizza

bp = Blueprint("menu", __name__)


async def load_menu() -> list[Pizza]:
    cache: MenuCache = current_app.extensions["quart_pizza.menu"]
    return await cache.get(get_db().read)


async def render_menu(
    menu: list[Pizza],
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The menu page, with the order form filled from `values` and its `errors` shown."""
    return await render_template(
        "menu.html",
        # A fresh key per form shown: posting the same form twice places one order.
        order_key=secrets.token_urlsafe(18),
        menu=menu,
        sizes=SIZES,
        max_quantity=MAX_QUANTITY,
        values=values or {},
        errors=errors or {},
    )


@bp.get("/")
async def index() -> ResponseReturnValue:
    return await render_menu(await load_menu())

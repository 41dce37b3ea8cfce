"""Pages more than one blueprint renders."""

import secrets
from collections.abc import Mapping

from quart import render_template

from ..models.menu import SIZES, Pizza
from ..models.order import MAX_QUANTITY


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

"""Pages more than one blueprint renders."""

import secrets
from collections.abc import Mapping

from quart import render_template

from ..models.cart import PricedCart
from ..models.menu import SIZES, Pizza
from ..models.order import MAX_QUANTITY
from .sessions import current_preferences


async def render_menu(
    menu: list[Pizza],
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The menu page, with the order form filled from `values` and its `errors` shown; the
    visitor's preferences choose the pizzas listed and the size preselected."""
    preferences = current_preferences()
    return await render_template(
        "menu.html",
        # A fresh key per form shown: posting the same form twice places one order.
        order_key=secrets.token_urlsafe(18),
        menu=preferences.shown(menu),
        sizes=SIZES,
        max_quantity=MAX_QUANTITY,
        values=values or {},
        errors=errors or {},
        preferred_size=preferences.size or "medium",
        vegetarian_only=preferences.vegetarian,
    )


async def render_cart(cart: PricedCart, errors: Mapping[str, str] | None = None) -> str:
    """The cart page at today's prices; its checkout form carries a fresh key."""
    return await render_template(
        "cart.html",
        cart=cart,
        checkout_key=secrets.token_urlsafe(18),
        max_quantity=MAX_QUANTITY,
        errors=errors or {},
    )

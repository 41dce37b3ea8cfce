"""`/cart`: the visitor's cart, kept in the session, and checking it out as one order."""

from quart import Blueprint, abort, flash, request, url_for
from quart.typing import ResponseReturnValue

from ..models.cart import Cart, CartError, price
from ..models.menu import SIZES, Size
from ..models.order import OrderRejectedError
from ..store import get_store
from ..web.forms import FormError, parse_cart_item, parse_checkout, parse_new_quantity
from ..web.pages import render_cart, render_menu
from ..web.redirects import see_other
from ..web.sessions import (
    current_cart,
    ordering_owner,
    remember_order,
    save_cart,
)

bp = Blueprint("cart", __name__, url_prefix="/cart")

PRICES_CHANGED = (
    "Prices changed since you opened your cart: here is today's total. Check out again to "
    "order at these prices."
)
UNAVAILABLE = "Remove the pizzas no longer on the menu, then check out."
EMPTY = "Your cart is empty: add a pizza from the menu first."


@bp.get("")
async def show() -> ResponseReturnValue:
    return await render_cart(price(current_cart(), await get_store().menu()))


@bp.post("/items")
async def add() -> ResponseReturnValue:
    """Add a pizza, size and quantity; the same pizza and size again adds to its line."""
    form = await request.form
    menu = await get_store().menu()
    try:
        item = parse_cart_item(form, {pizza.slug for pizza in menu})
        pizza_id = next(pizza.id for pizza in menu if pizza.slug == item.pizza_slug)
        cart = current_cart().add(pizza_id, item.size, item.quantity)
    except FormError as error:
        return await render_menu(menu, form, error.errors), 400
    except CartError as error:
        return await render_menu(menu, form, {"order": str(error)}), 400
    save_cart(cart)
    return see_other(url_for("cart.show"))


@bp.post("/items/<int:pizza_id>/<size>")
async def update(pizza_id: int, size: str) -> ResponseReturnValue:
    """Set a line's quantity (1-20), or remove it (0)."""
    line_size = size_or_404(size)
    cart = current_cart()
    menu = await get_store().menu()
    if cart.find(pizza_id, line_size) is None:
        abort(404, "That pizza is not in your cart.")
    try:
        cart = cart.set_quantity(pizza_id, line_size, parse_new_quantity(await request.form))
    except FormError as error:
        return await render_cart(price(cart, menu), error.errors), 400
    save_cart(cart)
    return see_other(url_for("cart.show"))


@bp.post("/checkout")
async def checkout() -> ResponseReturnValue:
    """Place one order with every line of the cart, at today's prices, once per page."""
    form = await request.form
    store = get_store()
    menu = await store.menu()
    priced = price(current_cart(), menu)
    try:
        check = parse_checkout(form)
    except FormError as error:
        return await render_cart(priced, error.errors), 400
    owner = ordering_owner()
    key = None if check.key is None else f"checkout-{check.key}"
    if not priced.lines:
        # The same page sent again after its order went through: that order, not an error.
        placed_id = None if key is None else await store.order_placed_with_key(owner, key)
        if placed_id is None:
            await flash(EMPTY)
            return see_other(url_for("cart.show"))
        remember_order(placed_id)
        return see_other(url_for("orders.success"))
    if priced.unavailable:
        return await render_cart(priced, {"cart": UNAVAILABLE}), 409
    if check.expected_total_cents is not None and check.expected_total_cents != priced.total_cents:
        return await render_cart(priced, {"cart": PRICES_CHANGED}), 409
    try:
        placed = await store.place_order(owner, priced.items(), idempotency_key=key)
    except OrderRejectedError as error:
        return await render_cart(priced, {"cart": str(error)}), 409
    save_cart(Cart())
    remember_order(placed.id)
    return see_other(url_for("orders.success"))


def size_or_404(size: str) -> Size:
    for known in SIZES:
        if size == known:
            return known
    abort(404)

"""`/orders/create`, `/success` and `/orders/<id>`: placing an order and reading it back."""

from quart import Blueprint, Response, abort, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..live import get_live
from ..models.cart import CartError, CartLine, price
from ..models.order import (
    MAX_ORDER_ID,
    IdempotencyConflictError,
    OrderRejectedError,
    UnknownAccountError,
    fingerprint,
)
from ..models.status import FINAL, OPEN
from ..store import get_store
from ..web.forms import FormError, parse_order_form
from ..web.pages import render_cart, render_menu
from ..web.redirects import see_other
from ..web.sessions import (
    current_cart,
    current_owner,
    end_session,
    forget_order,
    last_order_id,
    ordering_owner,
    remember_order,
    save_cart,
    stream_key,
)
from ..web.streams import event_stream, last_event_id

bp = Blueprint("orders", __name__)

# The form's key placed another order: the same form sent back, changed, by a tampering
# client. The API's wording ("Idempotency-Key") means nothing to a customer.
FORM_USED = "This form was already used for another order; please reload the page."


@bp.post("/orders/create")
async def create() -> ResponseReturnValue:
    form = await request.form
    store = get_store()
    menu = await store.menu()
    try:
        parsed = parse_order_form(form, {pizza.slug for pizza in menu})
    except FormError as error:
        return await render_menu(menu, form, error.errors), 400
    items = [parsed.item]
    # A double click or a browser retry of the same form finds the order it placed; the same
    # form sent back with other choices is a new order.
    key = None if parsed.order_key is None else f"form-{parsed.order_key}-{fingerprint(items)}"
    try:
        placed = await store.place_order(ordering_owner(), items, idempotency_key=key)
    except UnknownAccountError as error:
        end_session()
        return await render_menu(menu, form, {"order": str(error)}), 400
    except IdempotencyConflictError:
        return await render_menu(menu, form, {"order": FORM_USED}), 400
    except OrderRejectedError as error:
        return await render_menu(menu, form, {"order": str(error)}), 400
    remember_order(placed.id)
    return see_other(url_for("orders.success"))


@bp.get("/success")
async def success() -> ResponseReturnValue:
    order_id = last_order_id()
    order = None if order_id is None else await get_store().owned_order(order_id, current_owner())
    if order is None:
        forget_order()
        return see_other(url_for("menu.index"))
    return await render_template("success.html", order=order)


@bp.post(f"/orders/<int(max={MAX_ORDER_ID}):order_id>/reorder")
async def reorder(order_id: int) -> ResponseReturnValue:
    """Put the lines of one of the customer's orders into the cart, at today's prices."""
    store = get_store()
    order = await store.owned_order(order_id, current_owner())
    if order is None:
        abort(404)
    menu = await store.menu()
    ids = {pizza.slug: pizza.id for pizza in menu}
    lines = [
        CartLine(ids[item.pizza_slug], item.size, item.quantity)
        for item in order.items
        if item.pizza_slug in ids
    ]
    gone = sorted({item.pizza_name for item in order.items if item.pizza_slug not in ids})
    try:
        cart = current_cart().add_all(lines)
    except CartError as error:
        return await render_cart(price(current_cart(), menu), {"cart": str(error)}), 400
    save_cart(cart)
    if gone:
        await flash(f"No longer on the menu, so not added: {', '.join(gone)}.")
    return see_other(url_for("cart.show"))


@bp.get(f"/orders/<int(max={MAX_ORDER_ID}):order_id>")
async def show(order_id: int) -> ResponseReturnValue:
    order = await get_store().order_with_events(order_id, current_owner())
    if order is None:
        abort(404)  # the same answer whether the order is missing or someone else's
    return await render_template("order.html", order=order)


@bp.post(f"/orders/<int(max={MAX_ORDER_ID}):order_id>/cancel")
async def cancel(order_id: int) -> ResponseReturnValue:
    """The customer cancels their order while it is still only placed (else 409)."""
    event = await get_store().change_status(current_owner(), order_id, "cancelled", as_staff=False)
    if event is None:
        abort(404)
    await flash(f"Order #{order_id} is cancelled.")
    return see_other(url_for("orders.show", order_id=order_id))


@bp.get(f"/orders/<int(max={MAX_ORDER_ID}):order_id>/events")
async def events(order_id: int) -> ResponseReturnValue:
    """The order's status as it changes (Server-Sent Events): first the status now, then one
    event per change; a browser that reconnects gets what it missed after Last-Event-ID."""
    owner = current_owner()
    store = get_store()
    live = get_live()
    # Follow first, then read: an event committed in between comes twice, never not at all.
    subscription = live.open(order_id, stream_key())
    try:
        order = await store.order_with_events(order_id, owner)
    except BaseException:
        live.release(subscription)
        raise
    if order is None:
        live.release(subscription)
        abort(404)
    after = last_event_id()
    first = order.events[-1:] if after is None else [e for e in order.events if e.id > after]
    if order.status in OPEN:
        return event_stream(live, subscription, first, "status", last=FINAL)
    # Completed or cancelled: nothing more will happen. The stream ends after what the
    # browser has not seen; 204 tells a browser that has seen it all to stop reconnecting.
    live.release(subscription)
    if not first:
        return Response(status=204)
    return event_stream(live, None, first, "status")

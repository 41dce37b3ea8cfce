"""`/orders/create`, `/success` and `/orders/<id>`: placing an order and reading it back."""

from functools import partial

from quart import Blueprint, abort, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..db import get_db
from ..forms import FormError, parse_order_form
from ..models.order import (
    IdempotencyConflictError,
    Order,
    OrderRejectedError,
    UnknownAccountError,
    fingerprint,
    insert_order_once,
    select_order,
)
from ..redirects import see_other
from ..sessions import (
    current_guest_key,
    current_user_id,
    ensure_guest_key,
    forget_order,
    last_order_id,
    log_out,
    remember_order,
)
from .menu import load_menu, render_menu

bp = Blueprint("orders", __name__)

MAX_ORDER_ID = 2**63 - 1  # SQLite's largest rowid; larger ids cannot exist
# The form's key placed an order for someone else: an old page sent again after logging in
# with another account. The API's wording ("Idempotency-Key") means nothing to a customer.
FORM_USED_ELSEWHERE = (
    "This form was already used to order from another account, so nothing was ordered now. "
    "Please place your order again."
)


async def load_owned_order(order_id: int) -> Order | None:
    """The order if this session's customer or guest owns it, else None."""
    async with get_db().read() as conn:
        order = await select_order(conn, order_id)
    if order is None or not order.is_owned_by(current_user_id(), current_guest_key()):
        return None
    return order


@bp.post("/orders/create")
async def create() -> ResponseReturnValue:
    form = await request.form
    menu = await load_menu()
    try:
        parsed = parse_order_form(form, {pizza.slug for pizza in menu})
    except FormError as error:
        return await render_menu(menu, form, error.errors), 400
    user_id = current_user_id()
    guest_key = None if user_id is not None else ensure_guest_key()
    items = [parsed.item]
    # A double click or a browser retry of the same form finds the order it placed; the same
    # form sent back with other choices is a new order.
    key = None if parsed.order_key is None else f"form-{parsed.order_key}-{fingerprint(items)}"
    try:
        order_id, _ = await get_db().write(
            partial(
                insert_order_once,
                user_id=user_id,
                guest_key=guest_key,
                items=items,
                idempotency_key=key,
            )
        )
    except UnknownAccountError as error:
        log_out()
        return await render_menu(menu, form, {"order": str(error)}), 400
    except IdempotencyConflictError:
        return await render_menu(menu, form, {"order": FORM_USED_ELSEWHERE}), 400
    except OrderRejectedError as error:
        return await render_menu(menu, form, {"order": str(error)}), 400
    remember_order(order_id)
    return see_other(url_for("orders.success"))


@bp.get("/success")
async def success() -> ResponseReturnValue:
    order_id = last_order_id()
    order = None if order_id is None else await load_owned_order(order_id)
    if order is None:
        forget_order()
        return see_other(url_for("menu.index"))
    return await render_template("success.html", order=order)


@bp.get(f"/orders/<int(max={MAX_ORDER_ID}):order_id>")
async def show(order_id: int) -> ResponseReturnValue:
    order = await load_owned_order(order_id)
    if order is None:
        abort(404)  # the same answer whether the order is missing or someone else's
    return await render_template("order.html", order=order)

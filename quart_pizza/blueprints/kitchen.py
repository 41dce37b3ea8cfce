"""`/kitchen`: the staff's board of open orders, moved along one status at a time, live."""

from quart import Blueprint, abort, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..live import KITCHEN, get_live
from ..models.order import MAX_ORDER_ID
from ..models.status import NEXT, OPEN, as_status
from ..store import get_store
from ..web.redirects import see_other
from ..web.sessions import login_required, show_kitchen_link, stream_key
from ..web.streams import event_stream, last_event_id

bp = Blueprint("kitchen", __name__, url_prefix="/kitchen")


@bp.get("")
async def board() -> ResponseReturnValue:
    """Every open order, oldest first, grouped by status. `?part=board` is the board alone,
    which the page's script fetches again when an event says something changed."""
    open_orders, _ = await get_store().kitchen(login_required())
    show_kitchen_link(True)  # granted since this login
    groups = {status: [o for o in open_orders if o.status == status] for status in OPEN}
    template = "_kitchen_board.html" if request.args.get("part") == "board" else "kitchen.html"
    return await render_template(template, groups=groups, next_status=NEXT)


@bp.post(f"/orders/<int(max={MAX_ORDER_ID}):order_id>/status")
async def move(order_id: int) -> ResponseReturnValue:
    """Move an order to its next status, or cancel it (`status`); 409 if the lifecycle
    forbids it now (another member of staff moved it first, say)."""
    status = as_status((await request.form).get("status"))
    if status is None:
        abort(400, "Choose a status.")
    event = await get_store().change_status(login_required(), order_id, status, as_staff=True)
    if event is None:
        abort(404)
    return see_other(url_for("kitchen.board"))


@bp.get("/events")
async def events() -> ResponseReturnValue:
    """One `order` event per new order and per change of status, for every order."""
    owner = login_required()
    live = get_live()
    subscription = live.open(KITCHEN, stream_key())
    try:
        _, missed = await get_store().kitchen(owner, after=last_event_id() or 0)
    except BaseException:
        live.release(subscription)
        raise
    return event_stream(live, subscription, missed, "order")

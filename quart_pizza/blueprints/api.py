"""`/api/...`: the JSON API for machine clients (tills, phone apps, load tests).

Authenticated by the same session cookie as the site; writes carry the session's CSRF token
in the `X-CSRF-Token` header (get it from `GET /api/session`). Errors are JSON.
"""

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from quart import Blueprint, Quart, abort, request, session, url_for
from quart_schema import (
    DataSource,
    OpenAPIProvider,
    QuartSchema,
    document_response,
    tag,
    validate_request,
    validate_response,
)
from werkzeug.routing import Rule

from ..models.menu import SIZES, Size
from ..models.order import MAX_ITEMS, MAX_ORDER_ID, MAX_QUANTITY, NewItem, Order
from ..models.status import Status
from ..store import get_store
from ..web.security import csrf_token
from ..web.sessions import checked_owner, current_owner, ordering_owner, remember_order

bp = Blueprint("api", __name__, url_prefix="/api")

type T = Callable[..., Any]


class ApiOpenAPIProvider(OpenAPIProvider):
    """Documents the JSON API only; the HTML pages are not part of it."""

    def generate_rules(self) -> Iterable[Rule]:
        return (rule for rule in super().generate_rules() if rule.rule.startswith("/api/"))

    def build_request_body(
        self, model: type[Any], source: DataSource
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A route that takes a body needs one: say so (quart-schema leaves it optional)."""
        request_body, definitions = super().build_request_body(model, source)
        return {"required": True, **request_body}, definitions


def init_schema(app: Quart) -> None:
    """quart-schema: validation, OpenAPI at `/openapi.json` and docs at `/docs`."""
    QuartSchema(
        app,
        info={"title": "quart_pizza API", "version": "1"},
        openapi_provider_class=ApiOpenAPIProvider,
        swagger_ui_path=None,  # the shop serves its own /docs, with local assets (docs.py)
        redoc_ui_path=None,
        scalar_ui_path=None,
    )


IDEMPOTENCY_KEY: Final = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, like a UUID


def whole_number(value: Any) -> Any:
    """JSON has one kind of number: 2.0 is the integer 2 (as JSON Schema says), 2.5 is not.
    Strings and booleans stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    pizza: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    size: Size
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(whole_number)]


class OrderIn(BaseModel):
    """One item (`{"pizza", "size", "quantity"}`), a list of items, or `{"items": [...]}`."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)]

    @model_validator(mode="before")
    @classmethod
    def accept_single_item_or_list(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"items": data}
        if isinstance(data, dict) and "items" not in data:
            return {"items": [data]}
        return data


class ItemOut(BaseModel):
    pizza: str
    name: str
    size: str
    quantity: int
    unit_price_cents: int
    line_cents: int


class EventOut(BaseModel):
    status: Status
    at: str


class OrderOut(BaseModel):
    id: int
    created_at: str
    items: list[ItemOut]
    total_cents: int
    status: Status
    events: list[EventOut]


class PizzaOut(BaseModel):
    slug: str
    name: str
    description: str
    prices: dict[str, int]


class MenuOut(BaseModel):
    pizzas: list[PizzaOut]
    sizes: list[str]
    max_quantity: int


class ErrorOut(BaseModel):
    """Every error of the API: its name, a message for people, details for programs."""

    error: str
    message: str
    details: list[dict[str, Any]] | str | None = None


def document_errors(*codes: int) -> Callable[[T], T]:
    """Document that the route may answer each of `codes` with an `ErrorOut`."""

    def decorator(view: T) -> T:
        for code in codes:
            view = document_response(ErrorOut, code)(view)
        return view

    return decorator


class SessionOut(BaseModel):
    user_id: int | None
    username: str | None
    csrf_token: str


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id,
        created_at=order.created_at,
        total_cents=order.total_cents,
        status=order.status,
        events=[EventOut(status=event.status, at=event.at) for event in order.events]
        or [EventOut(status=order.status, at=order.created_at)],
        items=[
            ItemOut(
                pizza=item.pizza_slug,
                name=item.pizza_name,
                size=item.size,
                quantity=item.quantity,
                unit_price_cents=item.unit_price_cents,
                line_cents=item.line_cents,
            )
            for item in order.items
        ],
    )


@bp.get("/menu")
@tag(["menu"])
@validate_response(MenuOut)
@document_errors(503)
async def menu() -> MenuOut:
    """The menu: every pizza with its price in cents per size."""
    pizzas = await get_store().menu()
    return MenuOut(
        pizzas=[
            PizzaOut(
                slug=p.slug,
                name=p.name,
                description=p.description,
                prices={size: cents for size, cents in p.prices.items()},
            )
            for p in pizzas
        ],
        sizes=list(SIZES),
        max_quantity=MAX_QUANTITY,
    )


@bp.get("/session")
@tag(["session"])
@validate_response(SessionOut)
@document_errors(503)
async def session_info() -> SessionOut:
    """Who the session cookie belongs to, and the CSRF token its writes must send."""
    owner = await checked_owner()
    return SessionOut(
        user_id=owner.user_id,
        username=session.get("username") if owner.user_id is not None else None,
        csrf_token=csrf_token(),
    )


@bp.post("/orders")
@tag(["orders"])
@validate_request(OrderIn)
@validate_response(OrderOut, 201)
@validate_response(OrderOut, 200)
@document_errors(400, 401, 403, 408, 409, 413, 415, 422, 503)
async def create_order(data: OrderIn) -> tuple[OrderOut, int, dict[str, str]]:
    """Place an order. With an `Idempotency-Key` header a retry returns the same order (200)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        abort(400, "Idempotency-Key must be 1 to 255 visible ASCII characters.")
    items = [NewItem(item.pizza, item.size, item.quantity) for item in data.items]
    # Rejected orders (unknown pizza, reused key, deleted account) become JSON errors in errors.py.
    order, created = await get_store().place_and_read_order(
        ordering_owner(), items, idempotency_key=key
    )
    remember_order(order.id)
    headers = {"Location": url_for("api.get_order", order_id=order.id)}
    return order_out(order), 201 if created else 200, headers


@bp.get(f"/orders/<int(max={MAX_ORDER_ID}):order_id>")
@tag(["orders"])
@validate_response(OrderOut)
@document_errors(401, 404, 503)
async def get_order(order_id: int) -> OrderOut:
    """An order of this session's customer (or guest), with its status and its timeline; 404
    for anyone else's."""
    order = await get_store().order_with_events(order_id, current_owner())
    if order is None:
        abort(404, "No such order.")
    return order_out(order)


@bp.post(f"/orders/<int(max={MAX_ORDER_ID}):order_id>/cancel")
@tag(["orders"])
@validate_response(OrderOut)
@document_errors(401, 403, 404, 409, 503)
async def cancel_order(order_id: int) -> OrderOut:
    """Cancel the order while it is only placed (409 once the kitchen has started)."""
    owner = current_owner()
    store = get_store()
    if await store.change_status(owner, order_id, "cancelled", as_staff=False) is None:
        abort(404, "No such order.")
    order = await store.order_with_events(order_id, owner)
    assert order is not None
    return order_out(order)

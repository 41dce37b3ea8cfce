"""Orders and their items; prices are copied from the menu when the order is placed."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from .menu import Size
from .status import OrderEvent, Status

MAX_QUANTITY: Final = 20  # of one pizza and size in one order line
MAX_ITEMS: Final = 20  # lines in one order
MAX_ORDER_ID: Final = 2**63 - 1  # the largest 64-bit id; larger ids cannot exist


@dataclass(frozen=True)
class Owner:
    """Who places and may read an order: a logged-in customer (with the token of the login
    the store checks first), or a guest's session key."""

    user_id: int | None
    guest_key: str | None
    login: str | None = None  # the session's login token, when user_id is set

    @property
    def idempotency_scope(self) -> str:
        """Whose idempotency keys these are: another owner's key is simply another key."""
        return f"u:{self.user_id}" if self.user_id is not None else f"g:{self.guest_key}"


@dataclass(frozen=True)
class NewItem:
    pizza_slug: str
    size: Size
    quantity: int


@dataclass(frozen=True)
class OrderItem:
    pizza_slug: str
    pizza_name: str
    size: Size
    quantity: int
    unit_price_cents: int

    @property
    def line_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Order:
    id: int
    user_id: int | None
    guest_key: str | None
    created_at: str  # UTC, ISO 8601
    items: list[OrderItem]
    status: Status = "placed"
    events: tuple[OrderEvent, ...] = ()  # its timeline, when read with it

    @property
    def total_cents(self) -> int:
        return sum(item.line_cents for item in self.items)

    def is_owned_by(self, owner: Owner) -> bool:
        """True for the customer who placed it, or the guest whose session holds its key."""
        if self.user_id is not None:
            return self.user_id == owner.user_id
        return owner.guest_key is not None and self.guest_key == owner.guest_key


@dataclass(frozen=True)
class OrderSummary:
    id: int
    created_at: str
    pizzas: int
    total_cents: int
    status: Status = "placed"


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    created: bool  # False when an earlier request with the same idempotency key placed it


class OrderRejectedError(Exception):
    """The order cannot be stored as asked (an item left the menu, the account is gone)."""


class UnknownAccountError(OrderRejectedError):
    """The session names an account that no longer exists."""


class IdempotencyConflictError(OrderRejectedError):
    """The idempotency key was already used for a different order."""


def fingerprint(items: Sequence[NewItem]) -> str:
    """A stable hash of what was ordered, to compare a retry with the original request."""
    canonical = json.dumps([[item.pizza_slug, item.size, item.quantity] for item in items])
    return hashlib.sha256(canonical.encode()).hexdigest()


IDEMPOTENCY_KEY_LIFETIME: Final = timedelta(hours=24)

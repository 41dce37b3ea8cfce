"""An order's lifecycle: placed -> preparing -> baking -> ready -> completed, or cancelled.

The customer may cancel while the order is placed; staff while it is placed or preparing,
and only staff move it forward, one step at a time. Any other move is refused.
"""

from dataclasses import dataclass
from typing import Final, Literal

type Status = Literal["placed", "preparing", "baking", "ready", "completed", "cancelled"]
type Actor = Literal["customer", "staff"]

STATUSES: Final[tuple[Status, ...]] = (
    "placed", "preparing", "baking", "ready", "completed", "cancelled",
)  # fmt: skip
OPEN: Final[tuple[Status, ...]] = ("placed", "preparing", "baking", "ready")
FINAL: Final[tuple[Status, ...]] = ("completed", "cancelled")  # nothing happens after
NEXT: Final[dict[Status, Status]] = {
    "placed": "preparing",
    "preparing": "baking",
    "baking": "ready",
    "ready": "completed",
}
CANCELLABLE_BY: Final[dict[Actor, tuple[Status, ...]]] = {
    "customer": ("placed",),
    "staff": ("placed", "preparing"),
}


def may_move(current: Status, new: Status, actor: Actor) -> bool:
    """True if `actor` may move an order from `current` to `new`."""
    if new == "cancelled":
        return current in CANCELLABLE_BY[actor]
    return actor == "staff" and NEXT.get(current) == new


def as_status(value: object) -> Status | None:
    """`value` if it names a status, else None."""
    for status in STATUSES:
        if value == status:
            return status
    return None


@dataclass(frozen=True)
class OrderEvent:
    """One change of an order's status; `id` orders every event of the shop."""

    id: int
    order_id: int
    status: Status
    at: str  # UTC, ISO 8601
    actor: Actor


class StatusConflictError(Exception):
    """The move is not allowed from the order's status now (or another move came first)."""

    def __init__(self, current: Status, wanted: Status) -> None:
        super().__init__(f"This order is {current}: it cannot become {wanted} now.")
        self.current = current
        self.wanted = wanted

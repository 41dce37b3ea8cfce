"""The cart: what a visitor chose and has not ordered yet, and the rules it keeps.

It holds pizza ids, sizes and quantities only, never a name or a price: it travels in the
signed (but readable and replayable) session cookie, so everything shown or charged is read
from today's menu.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from .menu import SIZES, Pizza, Size
from .order import MAX_ITEMS, MAX_QUANTITY, NewItem

MAX_LINES: Final = MAX_ITEMS


class CartError(ValueError):
    """The change would break a rule of the cart; the message says which."""


@dataclass(frozen=True)
class CartLine:
    pizza_id: int
    size: Size
    quantity: int


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...] = ()

    @property
    def pizzas(self) -> int:
        return sum(line.quantity for line in self.lines)

    def find(self, pizza_id: int, size: Size) -> CartLine | None:
        return next(
            (line for line in self.lines if (line.pizza_id, line.size) == (pizza_id, size)), None
        )

    def add(self, pizza_id: int, size: Size, quantity: int) -> "Cart":
        """The same pizza and size again adds to that line's quantity."""
        existing = self.find(pizza_id, size)
        if existing is None:
            if len(self.lines) >= MAX_LINES:
                raise CartError(f"A cart holds at most {MAX_LINES} different pizzas.")
            return self._checked(self.lines + (CartLine(pizza_id, size, quantity),))
        total = existing.quantity + quantity
        return self._checked(
            tuple(
                replace(line, quantity=total) if line is existing else line for line in self.lines
            )  # fmt: skip
        )

    def add_all(self, lines: Iterable[CartLine]) -> "Cart":
        cart = self
        for line in lines:
            cart = cart.add(line.pizza_id, line.size, line.quantity)
        return cart

    def set_quantity(self, pizza_id: int, size: Size, quantity: int) -> "Cart":
        """Set a line's quantity; 0 removes the line. KeyError if it is not in the cart."""
        existing = self.find(pizza_id, size)
        if existing is None:
            raise KeyError((pizza_id, size))
        if quantity == 0:
            return Cart(tuple(line for line in self.lines if line is not existing))
        return self._checked(
            tuple(
                replace(line, quantity=quantity) if line is existing else line
                for line in self.lines
            )  # fmt: skip
        )

    @staticmethod
    def _checked(lines: tuple[CartLine, ...]) -> "Cart":
        for line in lines:
            if not 1 <= line.quantity <= MAX_QUANTITY:
                raise CartError(f"At most {MAX_QUANTITY} of one pizza and size, please.")
        return Cart(lines)


@dataclass(frozen=True)
class PricedLine:
    """A cart line at today's prices; `pizza` is None when it left the menu."""

    line: CartLine
    pizza: Pizza | None

    @property
    def available(self) -> bool:
        return self.pizza is not None and self.line.size in self.pizza.prices

    @property
    def unit_price_cents(self) -> int:
        return self.pizza.prices[self.line.size] if self.pizza and self.available else 0

    @property
    def line_cents(self) -> int:
        return self.unit_price_cents * self.line.quantity


@dataclass(frozen=True)
class PricedCart:
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.line_cents for line in self.lines)

    @property
    def unavailable(self) -> list[PricedLine]:
        return [line for line in self.lines if not line.available]

    def items(self) -> list[NewItem]:
        """The order to place: every available line, by pizza slug."""
        return [
            NewItem(line.pizza.slug, line.line.size, line.line.quantity)
            for line in self.lines
            if line.available and line.pizza is not None
        ]


def price(cart: Cart, menu: Sequence[Pizza]) -> PricedCart:
    """The cart at today's menu and prices."""
    by_id = {pizza.id: pizza for pizza in menu}
    return PricedCart([PricedLine(line, by_id.get(line.pizza_id)) for line in cart.lines])


def size_code(size: Size) -> str:
    return size[0]


def size_from_code(code: object) -> Size | None:
    return next((size for size in SIZES if size[0] == code), None)

"""The menu: pizzas and their price per size."""

from dataclasses import dataclass, field
from typing import Final, Literal

type Size = Literal["small", "medium", "large"]
SIZES: Final[tuple[Size, ...]] = ("small", "medium", "large")


@dataclass(frozen=True)
class Pizza:
    id: int
    slug: str
    name: str
    description: str
    prices: dict[Size, int] = field(default_factory=dict)  # cents per size
    vegetarian: bool = False

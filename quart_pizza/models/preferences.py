"""A visitor's preferences: a size preselected on the forms, and vegetarian pizzas only."""

from dataclasses import dataclass

from .menu import Pizza, Size


@dataclass(frozen=True)
class Preferences:
    size: Size | None = None
    vegetarian: bool = False

    def shown(self, menu: list[Pizza]) -> list[Pizza]:
        """The pizzas to list: all, or the vegetarian ones."""
        return [pizza for pizza in menu if pizza.vegetarian] if self.vegetarian else menu

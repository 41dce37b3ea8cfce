"""Parsing and validation of the HTML forms; each error names the field it belongs to."""

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, cast

from werkzeug.datastructures import MultiDict

from ..models.menu import SIZES, Size
from ..models.order import MAX_QUANTITY, NewItem
from ..models.preferences import Preferences

USERNAME: Final = re.compile(r"[A-Za-z0-9_.\-]{3,32}", re.ASCII)
QUANTITY: Final = re.compile(r"[0-9]{1,3}", re.ASCII)
ORDER_KEY: Final = re.compile(r"[A-Za-z0-9_\-]{16,64}", re.ASCII)
TOTAL: Final = re.compile(r"[0-9]{1,9}", re.ASCII)
PASSWORD_MIN: Final = 8
PASSWORD_MAX: Final = 256


class FormError(Exception):
    """One or more fields are invalid; `errors` maps field name to a message for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def _single(form: MultiDict[str, str], name: str) -> str | None:
    """The field's one value; None when it is missing or sent more than once."""
    values = form.getlist(name)
    return values[0] if len(values) == 1 else None


@dataclass(frozen=True)
class OrderForm:
    item: NewItem
    order_key: str | None  # the form's own key: a second post of the same form is a retry


def _item_errors(
    form: MultiDict[str, str], menu_slugs: Collection[str], errors: dict[str, str]
) -> NewItem | None:
    """The form's pizza, size and quantity; each invalid field noted in `errors`."""
    pizza = _single(form, "pizza")
    if pizza not in menu_slugs:
        errors["pizza"] = "Choose a pizza from the menu."
    size = _single(form, "size")
    if size not in SIZES:
        errors["size"] = "Choose small, medium or large."
    quantity = _single(form, "quantity") or ""
    if not QUANTITY.fullmatch(quantity) or not 1 <= int(quantity) <= MAX_QUANTITY:
        errors["quantity"] = f"Quantity must be a whole number from 1 to {MAX_QUANTITY}."
    if errors or pizza is None:
        return None
    return NewItem(pizza, cast(Size, size), int(quantity))


def parse_order_form(form: MultiDict[str, str], menu_slugs: Collection[str]) -> OrderForm:
    errors: dict[str, str] = {}
    item = _item_errors(form, menu_slugs, errors)
    order_key = form.get("order_key")
    if order_key is not None and not ORDER_KEY.fullmatch(order_key):
        errors["order"] = "This form is damaged; reload the page and order again."
    if errors or item is None:
        raise FormError(errors)
    return OrderForm(item, order_key)


def parse_cart_item(form: MultiDict[str, str], menu_slugs: Collection[str]) -> NewItem:
    """A pizza, size and quantity to add to the cart (the menu's order form)."""
    errors: dict[str, str] = {}
    item = _item_errors(form, menu_slugs, errors)
    if errors or item is None:
        raise FormError(errors)
    return item


def parse_new_quantity(form: MultiDict[str, str]) -> int:
    """A cart line's new quantity: 0 (remove the line) to MAX_QUANTITY."""
    quantity = _single(form, "quantity") or ""
    if not QUANTITY.fullmatch(quantity) or not 0 <= int(quantity) <= MAX_QUANTITY:
        raise FormError(
            {"quantity": f"Quantity must be a whole number from 0 (remove) to {MAX_QUANTITY}."}
        )
    return int(quantity)


@dataclass(frozen=True)
class Checkout:
    key: str | None  # the cart page's own key: a second post of the same page is a retry
    expected_total_cents: int | None  # the total the customer saw


def parse_checkout(form: MultiDict[str, str]) -> Checkout:
    key = form.get("checkout_key")
    total = form.get("expected_total_cents")
    errors = {}
    if key is not None and not ORDER_KEY.fullmatch(key):
        errors["cart"] = "This page is damaged; reload it and check out again."
    if total is not None and not TOTAL.fullmatch(total):
        errors["cart"] = "This page is damaged; reload it and check out again."
    if errors:
        raise FormError(errors)
    return Checkout(key, None if total is None else int(total))


def parse_preferences(form: MultiDict[str, str]) -> Preferences:
    size = _single(form, "size") or ""
    if size not in ("", *SIZES):
        raise FormError({"size": "Choose small, medium, large, or no preference."})
    return Preferences(cast(Size, size) if size else None, form.get("vegetarian") == "on")


def parse_registration(form: MultiDict[str, str]) -> Credentials:
    errors = {}
    username = _single(form, "username") or ""
    if not USERNAME.fullmatch(username):
        errors["username"] = "Use 3 to 32 letters, digits, '_', '.' or '-'."
    password = _single(form, "password") or ""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors["password"] = f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters."
    if errors:
        raise FormError(errors)
    return Credentials(username, password)


def parse_login(form: MultiDict[str, str]) -> Credentials:
    """Only presence is checked here: a wrong username is a 401, like a wrong password."""
    username = _single(form, "username")
    password = _single(form, "password")
    errors = {}
    if not username:
        errors["username"] = "Enter your username."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        raise FormError(errors)
    assert username is not None and password is not None
    return Credentials(username, password)


@dataclass(frozen=True)
class PasswordChange:
    current_password: str
    new_password: str


def parse_password_change(form: MultiDict[str, str]) -> PasswordChange:
    errors = {}
    current = _single(form, "current_password") or ""
    if not current:
        errors["current_password"] = "Enter your current password."
    new = _single(form, "new_password") or ""
    if not PASSWORD_MIN <= len(new) <= PASSWORD_MAX:
        errors["new_password"] = f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters."
    if errors:
        raise FormError(errors)
    return PasswordChange(current, new)

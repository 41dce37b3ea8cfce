"""Jinja set-up: filters the templates use."""

from quart import Quart


def format_cents(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def init_app(app: Quart) -> None:
    app.jinja_env.filters["money"] = format_cents

"""Jinja set-up: filters the templates use."""

from quart import Quart

from .sessions import current_cart


def format_cents(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def cart_count() -> int:
    """How many pizzas the visitor's cart holds (the header shows it on every page)."""
    return current_cart().pizzas


def init_app(app: Quart) -> None:
    app.jinja_env.filters["money"] = format_cents
    app.jinja_env.filters["device"] = describe_device
    app.jinja_env.globals["cart_count"] = cart_count


def describe_device(user_agent: str) -> str:
    """A short name for a browser from its User-Agent: "Firefox on Linux"."""
    browsers = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx", "httpx"))  # fmt: skip
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))  # fmt: skip
    browser = next((name for token, name in browsers if token in user_agent), None)
    system = next((name for token, name in systems if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"

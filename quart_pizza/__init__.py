"""quart_pizza: an async, session-based pizza shop on Quart, hypercorn and SQLite."""

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart

from . import passwords, store, tuning, web
from .blueprints import (
    account,
    api,
    auth,
    cart,
    dashboard,
    docs,
    health,
    menu,
    orders,
    preferences,
)
from .config import DEFAULTS, ENV_PREFIX, check_keys, load_or_create_secret_key
from .resources import resource_dir


def create_app(test_config: Mapping[str, Any] | None = None) -> Quart:
    """Build the app from defaults, `PIZZA_*` environment variables and `test_config`."""
    app = Quart(
        __name__,
        instance_path=os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH"),
        template_folder=str(resource_dir("templates")),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        app.config.from_mapping(test_config)

    if app.config.get("SECRET_KEY") is None:
        # Every worker and every restart reads the same key from the instance folder.
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    check_keys(app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS"))
    # Without a level of its own the app's log inherits the root logger's WARNING, and its
    # INFO lines never appear under hypercorn.
    app.logger.setLevel(app.config["LOG_LEVEL"])

    shop_store = store.init_app(app)
    passwords.init_app(app)
    web.init_app(app)
    blueprints = (menu, orders, cart, preferences, auth, account, dashboard, health, api, docs)
    for blueprint in blueprints:
        app.register_blueprint(blueprint.bp)
    api.init_schema(app)
    tuning.apply(app)  # last: it may replace what was set up above
    if app.config["TRUSTED_PROXY_HOPS"]:
        # The client's address, scheme and host from the proxies' X-Forwarded-* headers.
        app.asgi_app = ProxyFixMiddleware(  # type: ignore[method-assign]
            app.asgi_app, mode="legacy", trusted_hops=app.config["TRUSTED_PROXY_HOPS"]
        )

    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Create or update the database schema."""
        applied = asyncio.run(shop_store.migrate())
        click.echo(f"{shop_store}: applied {applied or 'nothing, already up to date'}")

    return app

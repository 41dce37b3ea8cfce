"""quart_pizza: an async, session-based pizza shop on Quart, hypercorn and SQLite."""

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from quart import Quart

from . import store, tuning, web
from .blueprints import api, auth, dashboard, health, menu, orders
from .config import DEFAULTS, ENV_PREFIX, load_or_create_secret_key
from .passwords import Passwords
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

    if not app.config.get("SECRET_KEY"):
        # Every worker and every restart reads the same key from the instance folder.
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])
    # Without a level of its own the app's log inherits the root logger's WARNING, and its
    # INFO lines never appear under hypercorn.
    app.logger.setLevel(app.config["LOG_LEVEL"])

    shop_store = store.init_app(app)
    app.extensions["quart_pizza.passwords"] = Passwords(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_kib=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
    )
    web.init_app(app)
    for blueprint in (menu.bp, orders.bp, auth.bp, dashboard.bp, health.bp, api.bp):
        app.register_blueprint(blueprint)
    api.init_schema(app)
    tuning.apply(app)  # last: it may replace what was set up above

    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Create or update the database schema."""
        applied = asyncio.run(shop_store.migrate())
        click.echo(f"{shop_store}: applied {applied or 'nothing, already up to date'}")

    return app

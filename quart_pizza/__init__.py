"""quart_pizza: an async, session-based pizza shop on Quart, hypercorn and SQLite."""

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from quart import Quart

from . import db, errors, runtime, security, templating
from .asgi import ASGIHTTPConnection, Request
from .blueprints import api, auth, dashboard, health, menu, orders
from .config import DEFAULTS, ENV_PREFIX, database_path, load_or_create_secret_key
from .migrations import migrate
from .models.menu import MenuCache
from .passwords import Passwords
from .resources import resource_dir
from .sessions import SessionInterface


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

    instance_path = Path(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        # Every worker and every restart reads the same key from the instance folder.
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance_path)
    app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])
    # Without a level of its own the app's log inherits the root logger's WARNING, and its
    # INFO lines (which CPU a worker runs on, its sockets) never appear.
    app.logger.setLevel(app.config["LOG_LEVEL"])
    database = database_path(app.config["DATABASE_URL"], instance_path)
    app.session_interface = SessionInterface()
    app.asgi_http_class = ASGIHTTPConnection
    app.request_class = Request

    db.init_app(app, database)
    app.extensions["quart_pizza.passwords"] = Passwords(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_kib=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
    )
    app.extensions["quart_pizza.menu"] = MenuCache(app.config["MENU_CACHE_SECONDS"])
    runtime.init_app(app, database)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in (menu.bp, orders.bp, auth.bp, dashboard.bp, health.bp, api.bp):
        app.register_blueprint(blueprint)
    templating.init_app(app)
    api.init_schema(app)

    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Create or update the database schema."""
        applied = asyncio.run(migrate(database))
        click.echo(f"{database}: applied {applied or 'nothing, already up to date'}")

    return app

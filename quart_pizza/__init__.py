"""quart_pizza: an async, session-based pizza shop on Quart, hypercorn and SQLite."""

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart

from . import live, passwords, store, tuning, web
from .blueprints import (
    account,
    api,
    auth,
    cart,
    dashboard,
    docs,
    health,
    kitchen,
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
    live.init_app(app, shop_store)
    passwords.init_app(app)
    web.init_app(app)
    blueprints = (
        menu,
        orders,
        cart,
        preferences,
        auth,
        account,
        dashboard,
        kitchen,
        health,
        api,
        docs,
    )
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

    @app.cli.group("staff")
    def staff_command() -> None:
        """Grant or revoke the staff role (the kitchen board) of an account."""

    @staff_command.command("add")
    @click.argument("username")
    def staff_add(username: str) -> None:
        """Make USERNAME a member of staff."""
        set_staff(shop_store, username, True)

    @staff_command.command("remove")
    @click.argument("username")
    def staff_remove(username: str) -> None:
        """Take the staff role from USERNAME."""
        set_staff(shop_store, username, False)

    return app


def set_staff(shop_store: store.Store, username: str, staff: bool) -> None:
    """The CLI's staff commands: the store opened for the one change; exit 1 if no such user."""

    async def change() -> bool:
        await shop_store.migrate()
        await shop_store.open()
        try:
            return await shop_store.set_staff(username, staff)
        finally:
            await shop_store.close()

    if not asyncio.run(change()):
        raise click.ClickException(f"no account is called {username!r}")
    click.echo(f"{username} is {'now' if staff else 'no longer'} a member of staff")

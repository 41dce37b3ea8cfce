"""`/`: the menu with prices and the order form."""

from quart import Blueprint, current_app, send_from_directory
from quart.typing import ResponseReturnValue

from ..store import get_store
from ..web.pages import render_menu
from ..web.sessions import checked_owner

bp = Blueprint("menu", __name__)


@bp.get("/favicon.ico")
async def favicon() -> ResponseReturnValue:
    """Browsers ask for it on every first visit, whatever the page links."""
    return await send_from_directory(
        current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml"
    )


@bp.get("/")
async def index() -> ResponseReturnValue:
    await checked_owner()  # the header shows who is logged in: only a live login counts
    return await render_menu(await get_store().menu())

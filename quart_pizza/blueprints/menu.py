"""`/`: the menu with prices and the order form."""

from quart import Blueprint
from quart.typing import ResponseReturnValue

from ..store import get_store
from ..web.pages import render_menu
from ..web.sessions import checked_owner

bp = Blueprint("menu", __name__)


@bp.get("/")
async def index() -> ResponseReturnValue:
    await checked_owner()  # the header shows who is logged in: only a live login counts
    return await render_menu(await get_store().menu())

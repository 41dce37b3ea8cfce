"""`/docs`: Swagger UI for the JSON API, served from the shop itself (no CDN, works offline)."""

from quart import Blueprint, render_template, send_from_directory
from quart.typing import ResponseReturnValue
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

bp = Blueprint("docs", __name__)


@bp.get("/docs")
async def index() -> ResponseReturnValue:
    return await render_template("docs.html")


@bp.get("/docs/assets/<path:name>")
async def asset(name: str) -> ResponseReturnValue:
    """Swagger UI's scripts and styles, as the swagger-ui-bundle wheel ships them."""
    return await send_from_directory(str(swagger_ui_path), name)

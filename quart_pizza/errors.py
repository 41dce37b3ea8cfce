"""Error pages: every failure a user can meet is a page of the shop, never a traceback."""

import logging

from quart import Quart, render_template
from quart.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .db import DatabaseUnavailableError

log = logging.getLogger(__name__)


async def http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    # A 500's description may carry the original exception's text: never show it.
    description = error.description if code < 500 else None
    return await render_template(
        "error.html", code=code, name=error.name, message=description
    ), code


async def database_unavailable(error: DatabaseUnavailableError) -> ResponseReturnValue:
    log.error("database unavailable: %s", error, exc_info=error.__cause__ or error)
    body = await render_template(
        "error.html",
        code=503,
        name="Service Unavailable",
        message="The kitchen is swamped right now. Nothing was stored; please try again.",
    )
    return body, 503, {"Retry-After": "5"}


def init_app(app: Quart) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DatabaseUnavailableError, database_unavailable)

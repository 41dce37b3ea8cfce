"""Error pages: every failure a user can meet is a page of the shop, never a traceback."""

import logging
from typing import Final

from quart import Quart, render_template
from quart.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .db import DatabaseUnavailableError

log = logging.getLogger(__name__)

# The shop's own words for werkzeug's generic descriptions.
MESSAGES: Final = {
    400: "We could not understand that request.",
    403: "You are not allowed to do that.",
    404: "We looked in every oven: that page is not here.",
    405: "That page does not take this kind of request.",
    413: "That request was far too large for us.",
    500: "Something went wrong on our side. Please try again in a moment.",
}


async def http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    message = error.description
    # A 500's description may carry the original exception's text: never show it.
    if code >= 500 or message == type(error).description:
        message = MESSAGES.get(code, MESSAGES[500])
    body = await render_template("error.html", code=code, name=error.name, message=message)
    return body, code


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

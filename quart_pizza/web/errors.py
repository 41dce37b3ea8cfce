"""Error pages: every failure a user can meet is a page of the shop (or JSON under `/api/`),
never a traceback."""

import json
import logging
from typing import Any, Final

from quart import Quart, render_template, request
from quart.typing import ResponseReturnValue
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from ..models.order import IdempotencyConflictError, OrderRejectedError, UnknownAccountError
from ..store import StoreUnavailableError
from .sessions import log_out

log = logging.getLogger(__name__)

# The shop's own words for werkzeug's generic descriptions.
MESSAGES: Final = {
    400: "We could not understand that request.",
    403: "You are not allowed to do that.",
    404: "We looked in every oven: that page is not here.",
    405: "That page does not take this kind of request.",
    408: "We waited too long for the rest of that request. Please send it again.",
    413: "That request was far too large for us.",
    500: "Something went wrong on our side. Please try again in a moment.",
}
BUSY: Final = "The kitchen is swamped right now. Nothing was stored; please try again."


def wants_json() -> bool:
    return request.path.startswith("/api/")


async def error_response(
    code: int, name: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> ResponseReturnValue:
    """The error as JSON for the API, as a page of the shop for everything else."""
    if wants_json():
        return {"error": name, "message": message, **extra}, code, headers or {}
    body = await render_template("error.html", code=code, name=name, message=message)
    return body, code, headers or {}


async def http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    message = error.description
    # A 500's description may carry the original exception's text: never show it.
    if code >= 500 or not message or message == type(error).description:
        message = MESSAGES.get(code, MESSAGES[500])
    return await error_response(code, error.name, message)


async def schema_validation_error(error: RequestSchemaValidationError) -> ResponseReturnValue:
    cause = error.validation_error
    details: Any = str(cause)
    if hasattr(cause, "json"):  # pydantic: field-by-field errors, without echoing the input
        details = json.loads(cause.json(include_url=False, include_input=False))
    return await error_response(
        400, "Bad Request", "The request body is not valid.", details=details
    )


async def order_rejected(error: OrderRejectedError) -> ResponseReturnValue:
    """Only the API gets here: the order form handles these itself, next to the form."""
    if isinstance(error, IdempotencyConflictError):
        return await error_response(422, "Unprocessable Entity", str(error))
    if isinstance(error, UnknownAccountError):
        log_out()
        return await error_response(401, "Unauthorized", str(error))
    return await error_response(400, "Bad Request", str(error))


async def store_unavailable(error: StoreUnavailableError) -> ResponseReturnValue:
    log.error("database unavailable: %s", error, exc_info=error.__cause__ or error)
    return await error_response(503, "Service Unavailable", BUSY, {"Retry-After": "5"})


def init_app(app: Quart) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(RequestSchemaValidationError, schema_validation_error)
    app.register_error_handler(OrderRejectedError, order_rejected)
    app.register_error_handler(StoreUnavailableError, store_unavailable)

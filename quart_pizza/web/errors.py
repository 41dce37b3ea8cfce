"""Error pages: every failure a user can meet is a page of the shop (or JSON under `/api/`),
never a traceback."""

import json
import logging
from typing import Any, Final
from urllib.parse import urlencode

from quart import Quart, flash, render_template, request, url_for
from quart.typing import ResponseReturnValue
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from ..live import TooManyStreamsError
from ..models.order import IdempotencyConflictError, OrderRejectedError, UnknownAccountError
from ..models.status import StatusConflictError
from ..models.user import LoginEndedError
from ..passwords import PasswordsBusyError
from ..store import StoreUnavailableError
from ..store.errors import NotStaffError
from .limits import TooManyAttemptsError
from .redirects import see_other
from .sessions import end_session, show_kitchen_link

log = logging.getLogger(__name__)

# The shop's own words for werkzeug's generic descriptions.
MESSAGES: Final = {
    400: "We could not understand that request.",
    403: "You are not allowed to do that.",
    404: "We looked in every oven: that page is not here.",
    405: "That page does not take this kind of request.",
    401: "Please log in again.",
    408: "We waited too long for the rest of that request. Please send it again.",
    413: "That request was far too large for us.",
    429: "Too many requests. Please wait a moment.",
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
    # A 405 says which methods the URL takes (RFC 9110); werkzeug keeps them on the error.
    allowed = getattr(error, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if code == 405 and allowed else None
    return await error_response(code, error.name, message, headers)


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
        end_session()
        return await error_response(401, "Unauthorized", str(error))
    # A well-formed order for a pizza (or size) the menu does not have now: it conflicts with
    # the menu's current state, which GET /api/menu gives.
    return await error_response(409, "Conflict", str(error))


async def store_unavailable(error: StoreUnavailableError) -> ResponseReturnValue:
    log.error("database unavailable: %s", error, exc_info=error.__cause__ or error)
    return await error_response(503, "Service Unavailable", BUSY, {"Retry-After": "5"})


async def login_ended(error: LoginEndedError) -> ResponseReturnValue:
    """The session's login was logged out, revoked or expired: the session is anonymous now.
    Nothing was done; a page asks to log in again and comes back."""
    end_session()
    if wants_json():
        return await error_response(401, "Unauthorized", "Your session has ended; log in again.")
    await flash("Your session has ended. Please log in again.")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    query = "?" + urlencode({"next": target}, safe="/") if target else ""
    return see_other(url_for("auth.login") + query)


async def undecodable_body(error: UnicodeDecodeError) -> ResponseReturnValue:
    """A body (JSON, a form) that is not UTF-8: the client's mistake, not ours."""
    return await error_response(400, "Bad Request", "The request body is not valid UTF-8.")


async def nested_too_deeply(error: RecursionError) -> ResponseReturnValue:
    """JSON nested thousands deep exhausts the parser's recursion: refuse it, as a 400."""
    if request.is_json:
        return await error_response(400, "Bad Request", "The request body is nested too deeply.")
    log.error("recursion too deep", exc_info=error)
    return await error_response(500, "Internal Server Error", MESSAGES[500])


async def too_many_attempts(error: TooManyAttemptsError) -> ResponseReturnValue:
    headers = {"Retry-After": str(error.retry_after)}
    return await error_response(429, "Too Many Requests", error.message, headers)


async def passwords_busy(error: PasswordsBusyError) -> ResponseReturnValue:
    log.warning("refused a login or registration: %s", error)
    return await error_response(503, "Service Unavailable", BUSY, {"Retry-After": "2"})


async def not_staff(error: NotStaffError) -> ResponseReturnValue:
    show_kitchen_link(False)  # the role was taken away
    return await error_response(403, "Forbidden", "Only the shop's staff may do that.")


async def status_conflict(error: StatusConflictError) -> ResponseReturnValue:
    """A move the lifecycle forbids now: nothing changed."""
    return await error_response(409, "Conflict", str(error))


async def too_many_streams(error: TooManyStreamsError) -> ResponseReturnValue:
    message = "Too many live pages are open for this session. Close one and reload."
    return await error_response(429, "Too Many Requests", message, {"Retry-After": "10"})


def init_app(app: Quart) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(RequestSchemaValidationError, schema_validation_error)
    app.register_error_handler(OrderRejectedError, order_rejected)
    app.register_error_handler(StoreUnavailableError, store_unavailable)
    app.register_error_handler(LoginEndedError, login_ended)
    app.register_error_handler(UnicodeDecodeError, undecodable_body)
    app.register_error_handler(RecursionError, nested_too_deeply)
    app.register_error_handler(TooManyAttemptsError, too_many_attempts)
    app.register_error_handler(PasswordsBusyError, passwords_busy)
    app.register_error_handler(NotStaffError, not_staff)
    app.register_error_handler(StatusConflictError, status_conflict)
    app.register_error_handler(TooManyStreamsError, too_many_streams)

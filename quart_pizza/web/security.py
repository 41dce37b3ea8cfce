"""CSRF tokens, safe redirect targets and the headers every response carries."""

import secrets
from typing import Final
from urllib.parse import urlsplit

from quart import Quart, Response, abort, current_app, request, session

from .sessions import ensure_guest_key

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PAGE_CSP: Final = (
    "default-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_SECURITY_HEADERS: Final = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
]


# The API docs page (Swagger UI, served from the shop itself) styles its elements inline.
DOCS_PATH: Final = "/docs"
DOCS_CSP: Final = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HSTS: Final = ("Strict-Transport-Security", "max-age=31536000")
CROSS_SITE: Final = (
    "This request came from another site, so it was refused. Use the forms of this site."
)


def csrf_token() -> str:
    """The session's CSRF token, created on first use; templates put it in every form."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
        # Every session that can post also gets its guest key now, not with its first order: a
        # guest retrying an order whose answer was lost then still owns the first attempt.
        ensure_guest_key()
    return token


def from_another_site() -> bool:
    """True if the browser says the request comes from another origin (or an opaque one)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # not a browser's cross-origin request, or an old browser: the token decides
    # The host, not the scheme: behind a TLS proxy the app sees http unless the proxy is
    # trusted (TRUSTED_PROXY_HOPS), and another site cannot send this site's host.
    return origin == "null" or urlsplit(origin).netloc != request.host


async def check_csrf() -> None:
    """Refuse a state-changing request from another site, or without the session's token."""
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # unknown URLs and methods get their 404/405 first
    if from_another_site():
        abort(403, CROSS_SITE)
    expected = session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        sent = (await request.form).get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and sent is not None
        and secrets.compare_digest(expected.encode(), sent.encode())
    ):
        abort(
            403,
            "This form has expired or did not come from this site. Reload the page and try again.",
        )


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


async def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # No view sets these itself: adding is cheaper than werkzeug's search-and-replace.
    # Referrer-Policy also governs the request that a redirect leads to.
    headers.add("Referrer-Policy", "same-origin")
    redirect = 300 <= response.status_code < 400
    if not redirect:  # a browser never shows a redirect's body: these guard pages only
        headers.add("Content-Security-Policy", DOCS_CSP if request.path == DOCS_PATH else PAGE_CSP)
        headers.extend(PAGE_SECURITY_HEADERS)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.add(*HSTS)  # served over TLS: browsers must never use plain HTTP here
    if request.endpoint != "static":
        # Every page shows who is logged in: shared caches must not store it.
        headers.add("Cache-Control", "no-store")
        if not redirect:
            response.vary.add("Cookie")
    return response


async def refuse_oversized_body() -> None:
    """413 from `Content-Length` alone, before any of the body is read (or the view runs)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


def init_app(app: Quart) -> None:
    app.before_request(refuse_oversized_body)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token

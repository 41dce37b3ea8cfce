"""The web side shared by every blueprint: the session, CSRF and headers, forms, error pages,
redirects and templating."""

from quart import Quart

from . import errors, security, templating


def init_app(app: Quart) -> None:
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

"""Jinja set-up: the `money` filter, and template context processors kept off threads."""

from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart


def format_cents(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def init_app(app: Quart) -> None:
    """Call after registering the blueprints: registering copies their context processors."""
    app.jinja_env.filters["money"] = format_cents
    # Quart's blueprints are Flask's sansio blueprints, and each starts with Flask's default
    # context processor. It is synchronous, so Quart runs it in a worker thread: every page a
    # blueprint view rendered paid a thread hop, for an empty dict (Flask's context variables
    # are never set under Quart). Quart's own default processor, which is async, stays.
    for processors in app.template_context_processors.values():
        processors[:] = [each for each in processors if each is not flask_default_processor]

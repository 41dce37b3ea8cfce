"""Flask's default template context processor, which Quart runs in a thread, taken out.

Quart's blueprints are Flask's sansio blueprints, and each starts with Flask's default context
processor. It is synchronous, so Quart runs it in a worker thread: every page a blueprint view
renders pays a thread hop, for an empty dict (Flask's context variables are never set under
Quart). Quart's own default processor, which is async and provides the same names, stays.
"""

import logging

from quart import Quart

log = logging.getLogger(__name__)


def drop_flask_context_processor(app: Quart) -> bool:
    """Remove it from every blueprint's processors; call after registering the blueprints."""
    try:
        from flask.templating import _default_template_ctx_processor as flask_processor
    except ImportError:
        return False
    for processors in app.template_context_processors.values():
        processors[:] = [each for each in processors if each is not flask_processor]
    return True

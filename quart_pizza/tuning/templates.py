"""Template rendering without the async machinery it never needs.

- Flask's default context processor, taken out: Quart's blueprints are Flask's sansio
  blueprints, and each starts with Flask's default context processor. It is synchronous, so
  Quart runs it in a worker thread: every page a blueprint view renders pays a thread hop, for
  an empty dict (Flask's context variables are never set under Quart). Quart's own default
  processor, which is async and provides the same names, stays.
- Synchronous templates: Quart compiles every template for async rendering, so each piece of
  output (every `{{ }}` and the text between) passes through a chain of async generators, one
  per level of template inheritance. No template of the shop awaits anything, and every
  global and filter it can call is synchronous, so the templates are compiled and rendered as
  plain generators instead. The output is the same; a template that needed to await would
  fail to compile, so the part checks the environment first and stays off if anything in it
  is a coroutine function.
"""

import inspect
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any

from jinja2 import Environment, Template
from quart import Quart
from werkzeug.local import LocalProxy


def drop_flask_context_processor(app: Quart) -> bool:
    """Remove it from every blueprint's processors; call after registering the blueprints."""
    try:
        from flask.templating import _default_template_ctx_processor as flask_processor
    except ImportError:
        return False
    for processors in app.template_context_processors.values():
        processors[:] = [each for each in processors if each is not flask_processor]
    return True


class SyncTemplate(Template):
    """A template compiled without async support, which Quart can still `render_async`."""

    async def render_async(self, *args: Any, **kwargs: Any) -> str:
        return self.render(*args, **kwargs)

    async def generate_async(self, *args: Any, **kwargs: Any) -> AsyncGenerator[str, object]:
        for chunk in self.generate(*args, **kwargs):
            yield chunk


def _functions(env: Environment) -> Iterable[Any]:
    """The functions templates can call (not the context proxies: `request`, `session`, `g`)."""
    namespaces: tuple[Mapping[str, Any], ...] = (env.globals, env.filters, env.tests)
    for namespace in namespaces:
        for value in namespace.values():
            if type(value) is not LocalProxy and callable(value):
                yield value


def render_synchronously(app: Quart) -> bool:
    """Compile the app's templates for synchronous rendering; False (nothing changed) if the
    environment is not Quart's async one, has compiled templates already, or offers an async
    callable to its templates."""
    env = app.jinja_env
    if not env.is_async or env.cache:
        return False
    if any(inspect.iscoroutinefunction(each) for each in _functions(env)):
        return False
    env.is_async = False
    env.template_class = SyncTemplate
    return True

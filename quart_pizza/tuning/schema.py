"""quart-schema looks for models in every value a view returns; finished responses skip that.

quart-schema wraps `app.make_response` to turn the pydantic models views return into JSON. The
pages and redirects return a finished `Response`, which holds no model: those go straight to
Quart's own `make_response`. Nothing else changes.
"""

from quart import Quart, Response
from quart.typing import ResponseReturnValue, ResponseTypes
from werkzeug.exceptions import HTTPException


def skip_finished_responses(app: Quart) -> bool:
    """Route finished responses around quart-schema's `make_response`; False (nothing changed)
    when quart-schema has not wrapped the app's."""
    schema_make_response = vars(app).get("make_response")  # set on the app by quart-schema
    if schema_make_response is None:
        return False

    async def make_response(result: ResponseReturnValue | HTTPException) -> ResponseTypes:
        if isinstance(result, Response):
            return await Quart.make_response(app, result)
        return await schema_make_response(result)  # type: ignore[no-any-return]

    app.make_response = make_response  # type: ignore[method-assign]
    return True

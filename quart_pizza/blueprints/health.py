"""`/healthz`: for load balancers and monitors."""

from quart import Blueprint
from quart.typing import ResponseReturnValue

from ..store import StoreUnavailableError, get_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
async def healthz() -> ResponseReturnValue:
    """200 only after a real round trip to the database and with its writer running."""
    try:
        migrations = await get_store().check()
    except StoreUnavailableError as error:
        return {"status": "unavailable", "reason": str(error)}, 503, {"Retry-After": "5"}
    return {"status": "ok", "migrations": migrations}

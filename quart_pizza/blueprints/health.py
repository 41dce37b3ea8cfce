"""`/healthz`: for load balancers and monitors."""

from quart import Blueprint
from quart.typing import ResponseReturnValue

from ..db import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
async def healthz() -> ResponseReturnValue:
    """200 only after a real round trip to the database and with the writer running."""
    database = get_db()
    async with database.read() as conn:
        async with conn.execute("SELECT count(*) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
    if not database.writing:
        return {"status": "unavailable", "reason": "the writer has stopped"}, 503
    return {"status": "ok", "migrations": row[0] if row else 0}

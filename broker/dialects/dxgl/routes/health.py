"""GET /v1/health — no auth; 503 when the database or the object store is down."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from sqlalchemy import text

from broker.api.deps import get_ctx
from broker.context import AppContext
from broker.db.engine import READ_ONLY
from broker.dialects.dxgl.schemas import Data, ErrorEnvelope, HealthOut
from broker.errors import ServiceUnavailable

router = APIRouter(tags=["health"])
log = logging.getLogger("meshfarm.broker")


@router.get(
    "/health",
    response_model=Data[HealthOut],
    responses={503: {"model": ErrorEnvelope}},
)
def health(ctx: AppContext = Depends(get_ctx)) -> Data[HealthOut]:
    database = storage = "ok"
    try:
        # A read: on SQLite it neither waits for nor takes the write lock, so a busy
        # writer does not make the farm look down to a load balancer.
        with ctx.engine.connect().execution_options(**READ_ONLY) as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        log.warning("health: database unreachable", exc_info=True)
        database = "unreachable"
    try:
        ctx.store.check()
    except Exception:
        log.warning("health: storage unreachable", exc_info=True)
        storage = "unreachable"
    if database != "ok" or storage != "ok":
        raise ServiceUnavailable(f"database: {database}, storage: {storage}")
    return Data(data=HealthOut(status="ok", database=database, storage=storage))

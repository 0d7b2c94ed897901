"""Fleet visibility for admins: /v1/admin/workers, and Prometheus metrics at /metrics.

Both show every account's work, so both need an admin account's token. For Prometheus, a
token with only the ``metrics:read`` scope reads /metrics and nothing else."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.errors import Forbidden
from broker.fleet import is_draining
from broker.metrics import exposition
from broker.schemas.resources import Data, FleetOut, WorkerOut
from broker.security import Principal

router = APIRouter(tags=["admin"])


@router.get("/admin/workers", response_model=Data[FleetOut])
async def workers(
    request: Request,
    principal: Principal = Depends(require("admin")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[FleetOut]:
    if not principal.is_admin:
        raise Forbidden("Admin accounts only")
    dispatcher = getattr(request.app.state, "dispatcher", None)
    infos: list[dict[str, Any]] = (
        await run_in_threadpool(dispatcher.executor.workers) if dispatcher else []
    )

    def draining() -> bool:
        with transaction(ctx.sessions) as session:
            return is_draining(session)

    return Data(
        data=FleetOut(
            executor=type(dispatcher.executor).__name__ if dispatcher else None,
            draining=await run_in_threadpool(draining),
            workers=[WorkerOut.model_validate(info) for info in infos],
        )
    )


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics(
    principal: Principal = Depends(require("metrics:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    if not principal.is_admin:
        raise Forbidden("Admin accounts only")
    body = await run_in_threadpool(exposition, ctx)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

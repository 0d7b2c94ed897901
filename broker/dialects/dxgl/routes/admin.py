"""Fleet visibility for admins: /v1/admin/workers, /v1/admin/jobs/:id (a job and its
history), and Prometheus metrics at /metrics.

Both show every account's work, so both need an admin account's token. For Prometheus, a
token with only the ``metrics:read`` scope reads /metrics and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from starlette.responses import Response

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.dialects.dxgl.schemas import Data, FleetOut, WorkerOut
from broker.errors import Forbidden
from broker.fleet import is_draining
from broker.metrics import exposition
from broker.security import Principal
from broker.services import jobs as job_service

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


class JobEventOut(BaseModel):
    at: datetime
    by: str
    from_: str | None = Field(None, alias="from")
    to: str
    phase: str | None
    message: str | None


class JobOut(BaseModel):
    id: str
    kind: str
    accountId: str
    state: str
    phase: str | None
    spec: dict[str, Any]
    credits: int
    attempts: int
    maxAttempts: int
    errorMessage: str | None
    createdAt: datetime
    updatedAt: datetime
    history: list[JobEventOut]


@router.get("/admin/jobs/{job_id}", response_model=Data[JobOut], response_model_by_alias=True)
def job(
    job_id: str,
    principal: Principal = Depends(require("admin")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[JobOut]:
    """Any account's job with its history: every transition, who made it, when, and why."""
    if not principal.is_admin:
        raise Forbidden("Admin accounts only")
    with transaction(ctx.sessions) as session:
        record = job_service.get_job(session, job_id)
        j = record.job
        return Data(
            data=JobOut(
                id=j.id,
                kind=j.kind,
                accountId=j.account_id,
                state=j.state,
                phase=j.phase,
                spec=j.spec,
                credits=j.credits,
                attempts=j.attempts,
                maxAttempts=j.max_attempts,
                errorMessage=j.error_message,
                createdAt=j.created_at,
                updatedAt=j.updated_at,
                history=[
                    JobEventOut.model_validate(
                        {
                            "at": e.at,
                            "by": e.by,
                            "from": e.from_state,
                            "to": e.to_state,
                            "phase": e.phase,
                            "message": e.message,
                        }
                    )
                    for e in record.history
                ],
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

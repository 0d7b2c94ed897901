"""/v1/renders — create, batch, list, get, dismiss, delete (records and credits)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from broker.api.deps import get_ctx, require
from broker.api.quick_reads import quick_read
from broker.context import AppContext
from broker.db.engine import reading, transaction
from broker.dialects.dxgl.pagination import Paging, page_of, paging
from broker.dialects.dxgl.render_orders import STATUS_FILTERS, Status, render_order, status_of
from broker.dialects.dxgl.schemas import (
    BatchIn,
    BatchItemOut,
    Data,
    Page,
    RenderCreateIn,
    RenderOut,
)
from broker.dialects.dxgl.views import render_out
from broker.errors import InvalidTransition, RendersRequired, TooMany
from broker.security import Principal
from broker.services import renders as render_service

router = APIRouter(prefix="/renders", tags=["renders"])
MAX_BATCH = 100


@router.post("", status_code=201, response_model=Data[RenderOut])
def create_render(
    body: RenderCreateIn = RenderCreateIn(),
    principal: Principal = Depends(require("renders:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[RenderOut]:
    with transaction(ctx.sessions) as session:
        order = render_order(
            session,
            ctx.store,
            principal,
            body.model_dump(),
            limits=ctx.asset_limits,
        )
        render = render_service.create_renders(
            session, principal, [order], max_attempts=ctx.settings.max_attempts
        )[0]
        return Data(data=render_out(render))


@router.post("/batch", status_code=201, response_model=Data[list[BatchItemOut]])
def create_batch(
    body: BatchIn = BatchIn(),
    principal: Principal = Depends(require("renders:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[list[BatchItemOut]]:
    with transaction(ctx.sessions) as session:
        items = body.renders
        if not isinstance(items, list) or not items:
            raise RendersRequired()
        if len(items) > MAX_BATCH:
            raise TooMany(f"Batch has {len(items)} renders; the maximum is {MAX_BATCH}")
        orders = [
            render_order(
                session,
                ctx.store,
                principal,
                item,
                limits=ctx.asset_limits,
                where=f"renders[{i}]: ",
            )
            for i, item in enumerate(items)
        ]
        renders = render_service.create_renders(
            session, principal, orders, max_attempts=ctx.settings.max_attempts, batch=True
        )
        return Data(
            data=[
                BatchItemOut(id=r.id, modelId=r.model_id, status=status_of(r.job)) for r in renders
            ]
        )


@router.get("", response_model=Page[RenderOut])
def list_renders(
    model: str | None = Query(None, description="Filter by model ID"),
    status: Status | None = Query(None, description="Filter by status"),
    page: Paging = Depends(paging),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Page[RenderOut]:
    with transaction(ctx.sessions) as session:
        rows, total = render_service.list_renders(
            session,
            principal,
            model_id=model,
            where=STATUS_FILTERS[status] if status is not None else None,
            limit=page.limit,
            offset=page.offset,
        )
        return page_of([render_out(r) for r in rows], total, page)


@router.get("/{render_id}", response_model=Data[RenderOut])
async def get_render(
    render_id: str,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[RenderOut]:
    return await quick_read(_get_render, ctx, principal, render_id)  # what clients poll


def _get_render(ctx: AppContext, principal: Principal, render_id: str) -> Data[RenderOut]:
    with reading(ctx.sessions) as session:
        return Data(data=render_out(render_service.get_render(session, principal, render_id)))


@router.patch("/{render_id}/dismiss", response_model=Data[RenderOut])
def dismiss_render(
    render_id: str,
    principal: Principal = Depends(require("renders:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[RenderOut]:
    with transaction(ctx.sessions) as session:
        render = render_service.get_render(session, principal, render_id)
        status = status_of(render.job)
        try:
            render_service.dismiss(session, principal, render)
        except InvalidTransition:
            raise InvalidTransition(
                f"Only a render in status 'error' can be dismissed (this one is '{status}')"
            ) from None
        return Data(data=render_out(render))


@router.delete("/{render_id}", response_model=Data[RenderOut])
def delete_render(
    render_id: str,
    principal: Principal = Depends(require("renders:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[RenderOut]:
    with transaction(ctx.sessions) as session:
        render = render_service.get_render(session, principal, render_id)
        shown = render_out(render)
        render_service.delete_render(session, ctx.store, principal, render)
        return Data(data=shown)

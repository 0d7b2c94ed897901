"""/v1/overlays — upload, list (own + published system overlays), delete."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.requests import Request

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.dialects.dxgl.pagination import Paging, page_of, paging
from broker.dialects.dxgl.schemas import Data, OverlayFields, OverlayLayer, OverlayOut, Page
from broker.dialects.dxgl.views import overlay_out
from broker.errors import InvalidRequest
from broker.ingest.multipart import openapi_body, receive_upload
from broker.security import Principal
from broker.services import overlays as overlay_service
from broker.services.uploads import OverlayRequest, store_overlay

router = APIRouter(prefix="/overlays", tags=["overlays"])


def _overlay_fields(fields: dict[str, str]) -> OverlayRequest:
    try:
        given = OverlayFields.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise InvalidRequest(f"{where}: {msg}") from None
    return OverlayRequest(given.layer, given.alignment, given.name, given.description)


UPLOAD_BODY = openapi_body(
    {
        "layer": {"type": "string", "enum": ["background", "foreground", "environment"]},
        "name": {"type": "string", "maxLength": 100},
        "description": {"type": "string", "maxLength": 500},
        "alignment": {"type": "string"},
    }
)


@router.post("", response_model=Data[OverlayOut], openapi_extra=UPLOAD_BODY)
async def upload_overlay(
    request: Request,
    principal: Principal = Depends(require("overlays:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[OverlayOut]:
    s = ctx.settings
    staged = await receive_upload(
        request, s.tmp_dir, max(s.max_overlay_bytes, s.max_environment_bytes)
    )
    try:
        fields = _overlay_fields(staged.fields)
        overlay = await run_in_threadpool(
            partial(
                store_overlay,
                max_image_bytes=s.max_overlay_bytes,
                max_environment_bytes=s.max_environment_bytes,
            ),
            ctx,
            principal,
            staged,
            fields,
        )
    finally:
        staged.discard()
    return Data(data=overlay_out(overlay))


@router.get("", response_model=Page[OverlayOut])
def list_overlays(
    layer: OverlayLayer | None = Query(None, description="background, foreground or environment"),
    page: Paging = Depends(paging),
    principal: Principal = Depends(require("overlays:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Page[OverlayOut]:
    with transaction(ctx.sessions) as session:
        rows, total = overlay_service.list_overlays(
            session, principal, layer=layer, limit=page.limit, offset=page.offset
        )
        return page_of([overlay_out(o) for o in rows], total, page)


@router.delete("/{overlay_id}", response_model=Data[OverlayOut])
def delete_overlay(
    overlay_id: str,
    principal: Principal = Depends(require("overlays:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[OverlayOut]:
    with transaction(ctx.sessions) as session:
        overlay = overlay_service.delete_overlay(session, ctx.store, principal, overlay_id)
        return Data(data=overlay_out(overlay))

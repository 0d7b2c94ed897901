"""/v1/models — upload, dedup pre-flight, list, detail, patch, archive, file (with
``?format=``, a meshfarm extension: the model converted through the conversion cache),
original (a meshfarm extension: the upload as sent, before any conversion), delete."""

from __future__ import annotations

import re
from functools import partial
from typing import Any, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from broker.api.deps import get_ctx, require
from broker.api.downloads import serve_object
from broker.api.error_handlers import server_roots
from broker.api.quick_reads import quick_read
from broker.context import AppContext
from broker.db.engine import reading, transaction
from broker.db.models import Model
from broker.dialects.dxgl.errors import envelope
from broker.dialects.dxgl.pagination import Paging, page_of, paging
from broker.dialects.dxgl.render_settings import parse_render_settings, to_spec
from broker.dialects.dxgl.schemas import (
    CheckHashIn,
    CheckHashOut,
    Data,
    IngestIn,
    ModelDetailOut,
    ModelOut,
    ModelPatch,
    Page,
    UploadOut,
)
from broker.dialects.dxgl.views import model_detail_out, model_out, upload_out
from broker.errors import FileNotFound, InvalidFormat, InvalidRequest, Sha256Required
from broker.ingest.multipart import openapi_body, receive_upload
from broker.ingest.validate import CONTENT_TYPES, SOURCE_TYPES, content_type
from broker.safe_text import scrub_paths
from broker.security import Principal
from broker.services import format_cache
from broker.services import models as model_service
from broker.services import renders as render_service
from broker.services.uploads import SpecFor, checked_url, ingest_url, model_format, store_model
from exchange.formats import file_name
from workers.specs import ConvertTarget

router = APIRouter(prefix="/models", tags=["models"])
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _spec_for(raw_settings: Any, principal: Principal) -> SpecFor:
    """The upload's ``renderSettings`` (a JSON string in a form, an object in JSON)."""
    settings = parse_render_settings(raw_settings, is_admin=principal.is_admin)
    return partial(to_spec, settings)


UPLOAD_BODY = openapi_body({"renderSettings": {"type": "string", "description": "JSON object"}})


@router.post("", status_code=201, response_model=Data[UploadOut], openapi_extra=UPLOAD_BODY)
async def upload_model(
    request: Request,
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[UploadOut]:
    """A .glb, .gltf or .zip (OBJ scan or glTF), or any other 3D file meshfarm converts
    (STL, PLY, COLLADA, OBJ, USD, FBX, ...): stored as GLB, the upload kept at /original."""
    staged = await receive_upload(request, ctx.settings.tmp_dir, ctx.settings.max_upload_bytes)
    try:
        file_format = model_format(staged)
        spec_for = _spec_for(staged.fields.get("renderSettings"), principal)
        result = await run_in_threadpool(store_model, ctx, principal, staged, file_format, spec_for)
    finally:
        staged.discard()
    return Data(data=upload_out(result))


@router.post("/ingest", status_code=201, response_model=Data[UploadOut])
async def ingest_model(
    body: IngestIn = IngestIn(),
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[UploadOut]:
    """Fetch a GLB/glTF from a URL (max 100 MB, 2-minute deadline); then as an upload."""
    url = checked_url(body.url)
    result = await ingest_url(ctx, principal, url, _spec_for(body.renderSettings, principal))
    return Data(data=upload_out(result))


@router.post("/check-hash", response_model=Data[CheckHashOut])
def check_hash(
    body: CheckHashIn = CheckHashIn(),
    principal: Principal = Depends(require("models:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[CheckHashOut]:
    with transaction(ctx.sessions) as session:
        sha = (body.sha256 or "").strip().lower()
        if not sha:
            raise Sha256Required()
        if not SHA256_HEX.fullmatch(sha):
            raise InvalidRequest("sha256 must be 64 hexadecimal characters (the file's SHA-256)")
        model = model_service.find_by_hash(session, principal.account_id, sha)
        return Data(
            data=CheckHashOut(exists=model is not None, modelId=model.id if model else None)
        )


@router.get("", response_model=Page[ModelOut])
async def list_models(
    tags: str | None = Query(None, description="Comma-separated tags (OR filter)"),
    archived: bool = Query(False, description="true: list archived models instead"),
    page: Paging = Depends(paging),
    principal: Principal = Depends(require("models:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Page[ModelOut]:
    wanted = [t.strip().lower() for t in (tags or "").split(",") if t.strip()]
    return await quick_read(_list_models, ctx, principal, wanted, archived, page)


def _list_models(
    ctx: AppContext, principal: Principal, tags: list[str], archived: bool, page: Paging
) -> Page[ModelOut]:
    with reading(ctx.sessions) as session:
        rows, total = model_service.list_models(
            session, principal, tags=tags, archived=archived, limit=page.limit, offset=page.offset
        )
        return page_of([model_out(m) for m in rows], total, page)


@router.get("/{model_id}", response_model=Data[ModelDetailOut])
def get_model(
    model_id: str,
    principal: Principal = Depends(require("models:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[ModelDetailOut]:
    with transaction(ctx.sessions) as session:
        model = model_service.get_model(session, principal, model_id)
        renders = render_service.renders_of_model(session, model)
        return Data(data=model_detail_out(model, renders))


@router.patch("/{model_id}", response_model=Data[ModelOut])
def patch_model(
    model_id: str,
    body: ModelPatch,
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[ModelOut]:
    with transaction(ctx.sessions) as session:
        model = model_service.get_model(session, principal, model_id)
        changes = model_service.ModelChanges(
            given=frozenset(body.model_fields_set), title=body.title, sku=body.sku, tags=body.tags
        )
        if "public" in body.model_fields_set:
            if body.public is None:
                raise InvalidRequest("public must be true or false")
            model.public = body.public
        return Data(data=model_out(model_service.patch_model(session, model, changes)))


def _set_archived(
    session: Session, principal: Principal, model_id: str, archived: bool
) -> Data[ModelOut]:
    model = model_service.get_model(session, principal, model_id)
    return Data(data=model_out(model_service.set_archived(model, archived)))


@router.patch("/{model_id}/archive", response_model=Data[ModelOut])
def archive_model(
    model_id: str,
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[ModelOut]:
    with transaction(ctx.sessions) as session:
        return _set_archived(session, principal, model_id, True)


@router.patch("/{model_id}/unarchive", response_model=Data[ModelOut])
def unarchive_model(
    model_id: str,
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[ModelOut]:
    with transaction(ctx.sessions) as session:
        return _set_archived(session, principal, model_id, False)


CONVERTED_TYPES = {
    "glb": "model/gltf-binary",
    "usdz": "model/vnd.usdz+zip",
    "usdc": "model/vnd.pixar.usd",
    "usda": "model/vnd.pixar.usd",
    "obj": "application/zip",  # the OBJ, its MTL and textures
    "stl": "model/stl",
}
"""Content types of converted files; a target without one here is octet-stream."""
FORMATS: tuple[ConvertTarget, ...] = get_args(ConvertTarget)
FORMAT_QUERY = Query(
    None,
    description=(
        "meshfarm extension: the model converted to this format ("
        + ", ".join(FORMATS)
        + "), through the conversion cache; absent: the stored file"
    ),
)
FILE_TYPES = {*CONTENT_TYPES.values(), *CONVERTED_TYPES.values(), "application/octet-stream"}


@router.get(
    "/{model_id}/file",
    response_class=Response,
    responses={
        200: {"content": {v: {} for v in sorted(FILE_TYPES)}},
        202: {"description": "?format=: the conversion is still running (Retry-After)"},
    },
)
def download_model_file(
    model_id: str,
    request: Request,
    format: str | None = FORMAT_QUERY,
    principal: Principal = Depends(require("models:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    with transaction(ctx.sessions) as session:
        model = model_service.get_model(session, principal, model_id)
    stem = model.original_name.rsplit(".", 1)[0] or "model"
    wanted = (format or "").strip().lower()
    if wanted and wanted != model.file_format:
        return _converted(ctx, request, model, wanted, stem)
    try:
        return serve_object(
            ctx.store,
            model.storage_key,
            request,
            media_type=CONTENT_TYPES[model.file_format],
            filename=f"{stem}.{model.file_format}",
            envelope=envelope,
        )
    except FileNotFoundError:
        raise FileNotFound() from None


def _converted(ctx: AppContext, request: Request, model: Model, wanted: str, stem: str) -> Response:
    """The stored file converted (default options), made once per input and format by the
    conversion cache and waited for up to ``MESHFARM_INLINE_CONVERT_SECONDS``."""
    target = next((f for f in FORMATS if f == wanted), None)
    if target is None:
        raise InvalidFormat(f"format must be one of {', '.join(FORMATS)}")
    source = format_cache.model_source(ctx.store, model)
    conversion = format_cache.obtain(ctx, model.account_id, source, target)
    try:
        ready = (
            conversion
            if format_cache.is_ready(conversion)
            else format_cache.wait_ready(ctx, conversion.id, ctx.settings.inline_convert_seconds)
        )
    except format_cache.ConversionPending as exc:
        retry = str(exc.retry_after or format_cache.RETRY_AFTER_SECONDS)
        status = "processing" if exc.state == "running" else "queued"
        body = {"data": {"modelId": model.id, "format": target, "status": status}}
        return JSONResponse(body, status_code=202, headers={"Retry-After": retry})
    except format_cache.ConversionFailed as exc:
        reason = scrub_paths(exc.detail, server_roots(request))
        return envelope(
            422, "conversion_failed", f"Converting the model to {target} failed: {reason}"
        )
    try:
        return serve_object(
            ctx.store,
            ready.assets["asset"]["key"],
            request,
            media_type=CONVERTED_TYPES.get(target, "application/octet-stream"),
            filename=file_name(stem, target),
            envelope=envelope,
        )
    except FileNotFoundError:
        raise FileNotFound("The converted file is missing from storage") from None


ORIGINAL_TYPES = {*CONTENT_TYPES.values(), *SOURCE_TYPES.values(), "application/octet-stream"}


@router.get(
    "/{model_id}/original",
    response_class=Response,
    responses={200: {"content": {v: {} for v in sorted(ORIGINAL_TYPES)}}},
)
def download_model_original(
    model_id: str,
    request: Request,
    principal: Principal = Depends(require("models:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """The file as it was uploaded (an STL, a PLY, an OBJ scan's ZIP, ...), with its own
    name; for a model stored as uploaded, the same bytes as ``/file``."""
    with transaction(ctx.sessions) as session:
        model = model_service.get_model(session, principal, model_id)
    if model.source_key is None or model.source_format is None:
        raise FileNotFound("This model's upload was converted before originals were kept")
    try:
        return serve_object(
            ctx.store,
            model.source_key,
            request,
            media_type=content_type(model.source_format),
            filename=model.original_name,
            envelope=envelope,
        )
    except FileNotFoundError:
        raise FileNotFound() from None


@router.delete("/{model_id}", response_model=Data[ModelOut])
def delete_model(
    model_id: str,
    principal: Principal = Depends(require("models:write")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[ModelOut]:
    with transaction(ctx.sessions) as session:
        model = model_service.get_model(session, principal, model_id)
        model_service.soft_delete(model)
        return Data(data=model_out(model))

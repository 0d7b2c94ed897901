"""USD Refinery's ``/api/v1`` endpoints: convert, status, health, download, jobs, batch."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from zipstream import ZipStream

from broker.api.deps import get_ctx
from broker.api.downloads import content_disposition
from broker.api.error_handlers import server_roots
from broker.context import AppContext
from broker.db.models import Conversion
from broker.dialects.refinery import views
from broker.dialects.refinery.errors import QuotaReached
from broker.dialects.refinery.keys import Caller, authenticate
from broker.errors import Conflict, DomainError, InvalidRequest, NotFound
from broker.ingest.form_uploads import StagedFile, UploadRules, receive_form
from broker.safe_text import scrub_paths
from broker.services import conversions
from broker.services.conversions import ConversionOrder, Upload
from broker.webhooks.urls import check_webhook_url
from workers.specs import ConvertTarget

router = APIRouter(prefix="/api/v1")
EXPORT_FORMATS: tuple[ConvertTarget, ...] = ("usdz", "usdc", "usda", "glb")
MAX_BATCH = 20
MAX_PAGE = 100
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
IN_PROGRESS = "Conversion still in progress (poll again)"


def caller(request: Request, ctx: AppContext = Depends(get_ctx)) -> Caller:
    """The key in ``X-API-Key`` (recommended) or ``?api_key=``."""
    raw = request.headers.get("x-api-key") or request.query_params.get("api_key")
    with ctx.sessions() as session:
        return authenticate(session, ctx.settings, raw)


# --- quota ---------------------------------------------------------------------------


def _spent(at: datetime) -> QuotaReached:
    wait = math.ceil((conversions.next_month_start(at) - at).total_seconds())
    return QuotaReached(retry_after=max(1, wait))


def _check_quota(session: Session, who: Caller, *, lock: bool) -> None:
    monthly = who.tier.monthly
    if monthly is None:
        return
    if conversions.count_this_month(session, who.token_id, lock=lock) >= monthly:
        raise _spent(datetime.now(UTC))


def _admit(who: Caller) -> Callable[[Session], None]:
    """The check, inside the transaction that records a conversion, that the key has one
    left (its row locked: racing uploads are counted one after the other)."""
    return partial(_check_quota, who=who, lock=True)


def _refuse_if_spent(ctx: AppContext, who: Caller) -> None:
    """Before a byte of the upload is read: a key with nothing left is told so (429)."""
    with ctx.sessions() as session:
        _check_quota(session, who, lock=False)


# --- the request's fields ------------------------------------------------------------


def _flag(fields: dict[str, str], name: str, default: bool) -> bool:
    raw = fields.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise InvalidRequest(f"{name} must be true or false")


async def _order(ctx: AppContext, fields: dict[str, str]) -> ConversionOrder:
    target = fields.get("export_format", "").strip().lower() or "usdz"
    if target not in EXPORT_FORMATS:
        raise InvalidRequest(f"export_format must be one of {', '.join(EXPORT_FORMATS)}")
    webhook = fields.get("webhook_url", "").strip() or None
    if webhook is not None:
        allow = ctx.settings.webhook_allow_private
        webhook = await check_webhook_url(webhook, allow_private=allow)
    return ConversionOrder(
        target=next(t for t in EXPORT_FORMATS if t == target),
        y_up=_flag(fields, "y_up", True),
        root_xform=_flag(fields, "root_xform", True),
        webhook_url=webhook,
    )


def _rules(who: Caller, field: str, max_files: int, fail_fast: bool) -> UploadRules:
    words = f"File exceeds the {who.tier.size_words} limit of the {who.tier.name} tier"
    return UploadRules(
        field, who.tier.max_bytes, max_files, fail_fast, words, conversions.source_format
    )


def _submit(ctx: AppContext, who: Caller, staged: StagedFile, order: ConversionOrder) -> Conversion:
    conversions.source_format(staged.filename)  # the format first: nothing else is read
    if staged.path is None or staged.size == 0:
        raise InvalidRequest(f"{staged.filename!r} is empty")
    upload = Upload(staged.path, staged.filename, staged.size)
    return conversions.submit(ctx, who.account_id, who.token_id, upload, order, _admit(who))


# --- endpoints -----------------------------------------------------------------------


@router.post("/convert")
async def convert(
    request: Request, who: Caller = Depends(caller), ctx: AppContext = Depends(get_ctx)
) -> dict[str, Any]:
    """Upload a 3D asset and convert it (asynchronously: poll status or use a webhook)."""
    await run_in_threadpool(_refuse_if_spent, ctx, who)
    form = await receive_form(request, ctx.settings.tmp_dir, _rules(who, "file", 1, True))
    try:
        order = await _order(ctx, form.fields)
        conversion = await run_in_threadpool(_submit, ctx, who, form.files[0], order)
    finally:
        form.discard()
    return views.job_out(conversion)


@router.post("/batch")
async def batch(
    request: Request, who: Caller = Depends(caller), ctx: AppContext = Depends(get_ctx)
) -> dict[str, Any]:
    """Up to 20 files with one set of options; each accepted or rejected on its own."""
    await run_in_threadpool(_refuse_if_spent, ctx, who)
    rules = _rules(who, "files", MAX_BATCH, False)
    form = await receive_form(request, ctx.settings.tmp_dir, rules)
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    try:
        order = await _order(ctx, form.fields)
        for staged in form.files:
            try:
                if staged.refused is not None:
                    raise InvalidRequest(staged.refused)
                conversion = await run_in_threadpool(_submit, ctx, who, staged, order)
            except DomainError as exc:  # each file on its own: the others stay queued
                rejected.append({"filename": staged.filename, "error": exc.detail})
            else:
                accepted.append(views.job_out(conversion))
            finally:
                staged.discard()
    finally:
        form.discard()
    return {
        "batch_size": len(form.files),
        "accepted": len(accepted),
        "rejected": len(rejected),
        "jobs": accepted,
        "errors": rejected,
    }


def _conversion(ctx: AppContext, who: Caller, job_id: str) -> Conversion:
    with ctx.sessions() as session:
        conversion = conversions.get(session, who.account_id, job_id)
        session.expunge(conversion)
        return conversion


def _error(request: Request, conversion: Conversion) -> str | None:
    message = conversion.job.error_message
    return scrub_paths(message, server_roots(request)) if message else None


@router.get("/status/{job_id}")
def status(
    job_id: str,
    request: Request,
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> dict[str, Any]:
    """Poll until ``status`` is completed or failed."""
    conversion = _conversion(ctx, who, job_id)
    return views.status_out(conversion, _error(request, conversion))


def _unfinished(request: Request, conversion: Conversion) -> Response | None:
    """202 while it runs; a failed conversion has no result (409, saying why)."""
    status = views.status_of(conversion)
    if status in ("pending", "processing"):
        body = {"detail": IN_PROGRESS, "job_id": conversion.id, "status": status}
        return JSONResponse(body, status_code=202)
    if status == "failed":
        raise Conflict(f"The conversion failed: {_error(request, conversion) or 'no reason'}")
    return None


@router.get("/health/{job_id}")
def health(
    job_id: str,
    request: Request,
    format: Literal["json", "pdf"] = Query("json", description="json (default) or pdf"),
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """The conversion's health report, as JSON or as the PDF the worker wrote."""
    conversion = _conversion(ctx, who, job_id)
    waiting = _unfinished(request, conversion)
    if waiting is not None:
        return waiting
    if format == "json":
        return JSONResponse(conversion.report or {})
    pdf = (conversion.assets or {}).get("report_pdf")
    size = ctx.store.size(pdf["key"]) if pdf else None
    if pdf is None or size is None:
        raise NotFound("This job has no PDF report")
    name = conversions.safe_filename(conversion.filename, "pdf").removesuffix(".pdf")
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": content_disposition(f"{name}_health_report.pdf"),
    }
    return StreamingResponse(
        ctx.store.iter_range(pdf["key"]), media_type="application/pdf", headers=headers
    )


@router.get("/download/{job_id}")
def download(
    job_id: str,
    request: Request,
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """A ZIP, streamed: the converted asset (and the files it refers to), health_report.json
    and metadata.json."""
    conversion = _conversion(ctx, who, job_id)
    waiting = _unfinished(request, conversion)
    if waiting is not None:
        return waiting
    bundle = ZipStream(sized=True)
    for output in conversions.outputs(conversion):
        size = ctx.store.size(output.key)
        if size is None:
            raise NotFound("The conversion's files are no longer stored")
        bundle.add(ctx.store.iter_range(output.key), output.name, size=size)
    options = {k: conversion.job.spec.get(k) for k in ("y_up", "root_xform")}
    bundle.add(json.dumps(conversion.report or {}, indent=2), "health_report.json")
    bundle.add(json.dumps(views.metadata(conversion, options), indent=2), "metadata.json")
    name = conversions.safe_filename(conversion.filename, "zip")
    headers = {"Content-Length": str(len(bundle)), "Content-Disposition": content_disposition(name)}
    return StreamingResponse(iter(bundle), media_type="application/zip", headers=headers)


@router.get("/jobs")
def jobs(
    limit: int = Query(20, ge=1, description=f"Results per page (at most {MAX_PAGE})"),
    offset: int = Query(0, ge=0, le=10**9),
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> dict[str, Any]:
    """The key's account's conversions, newest first."""
    limit = min(limit, MAX_PAGE)
    with ctx.sessions() as session:
        rows, total = conversions.list_conversions(
            session, who.account_id, limit=limit, offset=offset
        )
        items = [views.list_item(c) for c in rows]
    return {"jobs": items, "total": total, "limit": limit, "offset": offset}

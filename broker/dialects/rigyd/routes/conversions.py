"""Rigyd's ``/api/conversions`` endpoints: 3D → SimReady, simulate, retrieve, list, result,
and the signed file links its payloads carry.

Refusals come before any credit is taken, in the seed's order: auth (401), the request's
shape and the file's name (400, ZIP layout included), its size (413), then the credits
(402). Credits are reserved with the job and refunded once if it fails (the job engine).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from broker.api.deps import get_ctx
from broker.api.downloads import serve_object, zip_response
from broker.api.signed_urls import valid
from broker.context import AppContext
from broker.db.models import SimReadyAsset
from broker.dialects.rigyd import views
from broker.dialects.rigyd.auth import caller
from broker.dialects.rigyd.errors import envelope
from broker.dialects.rigyd.keys import Caller
from broker.dialects.rigyd.uploads import (
    build_order,
    generate_order,
    receive_generate,
    receive_model,
)
from broker.errors import FileNotFound, InvalidRequest, NotFound
from broker.jobs.states import JobState
from broker.services import simready
from broker.services.conversions import Upload
from workers.specs import SimulationScene

router = APIRouter(prefix="/api/conversions")
files_router = APIRouter()
MAX_PAGE = 100
JOB_TYPES = (
    "glb_to_simready",
    "text_to_simready",
    "image_to_simready",
    "multiview_to_simready",
    "simulate_usd",
)
RESULT_FORMATS = ("usd", "mjcf", "all")


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scene: SimulationScene = "demo"


class MjcfUnavailable(FileNotFound):
    message = "MJCF package is not available for this conversion"


def _accepted(row: SimReadyAsset) -> JSONResponse:
    return JSONResponse({"data": views.accepted(row)}, status_code=202)


@router.post("", status_code=202)
async def create(
    request: Request, who: Caller = Depends(caller), ctx: AppContext = Depends(get_ctx)
) -> JSONResponse:
    """Upload a 3D model and make it simulation-ready."""
    form, meta = await receive_model(request, ctx)
    try:
        order = build_order(form.fields)
        staged = form.files[0]
        assert staged.path is not None
        upload = Upload(staged.path, staged.filename, staged.size)
        row = await run_in_threadpool(
            simready.submit, ctx, who.account_id, who.token_id, upload, order, input_meta=meta
        )
    finally:
        form.discard()
    return _accepted(row)


@router.post("/generate", status_code=202)
async def generate(
    request: Request, who: Caller = Depends(caller), ctx: AppContext = Depends(get_ctx)
) -> JSONResponse:
    """A SimReady asset from a text prompt or 1–4 images, by the operator's generator."""
    form = await receive_generate(request, ctx)
    try:
        order = generate_order(form)
        row = await run_in_threadpool(simready.generate, ctx, who.account_id, who.token_id, order)
    finally:
        form.discard()
    return _accepted(row)


@router.post("/{job_id}/simulate", status_code=202)
async def simulate(
    job_id: str,
    body: SimulateIn | None = None,
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> JSONResponse:
    """Run a physics simulation of a completed conversion (free)."""
    scene = body.scene if body is not None else "demo"
    row = await run_in_threadpool(
        simready.simulate, ctx, who.account_id, who.token_id, job_id, scene
    )
    return _accepted(row)


@router.get("")
def list_jobs(
    request: Request,
    page: int = Query(1, ge=1, le=10**6),
    page_size: int = Query(25, alias="pageSize", ge=1),
    job_type: str | None = Query(None),
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> dict[str, Any]:
    """The caller's jobs, newest first; simulations only when ``job_type`` names them."""
    size = min(page_size, MAX_PAGE)
    types = [t.strip() for t in (job_type or "").split(",") if t.strip()]
    unknown = [t for t in types if t not in JOB_TYPES]
    if unknown:
        raise InvalidRequest(f"Invalid job_type: {unknown[0]}. Expected: {', '.join(JOB_TYPES)}")
    with ctx.sessions() as session:
        rows, total = simready.list_assets(
            session, who.account_id, job_types=types, limit=size, offset=(page - 1) * size
        )
        data = [views.summary(r) for r in rows]
    meta = {"page": page, "pageSize": size, "pageCount": math.ceil(total / size), "total": total}
    return {"data": data, "meta": meta}


@router.get("/{job_id}")
def retrieve(
    job_id: str,
    request: Request,
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> dict[str, Any]:
    """One job's full payload (its simulations inline)."""
    links = views.Links(request, ctx.settings)
    with ctx.sessions() as session:
        row = simready.get(session, who.account_id, job_id)
        parent = session.get(SimReadyAsset, row.source_id) if row.source_id else None
        children = simready.simulations(session, row)
        return {"data": views.full(row, links, parent=parent, children=children)}


@router.get("/{job_id}/result")
def result(
    job_id: str,
    request: Request,
    format: str = Query("all"),
    who: Caller = Depends(caller),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """The result as a streamed ZIP: ``usd`` (the USD and its textures), ``mjcf`` (the
    MuJoCo package), ``all`` (both, in ``usd/`` and ``mjcf/``)."""
    if format not in RESULT_FORMATS:
        raise InvalidRequest("Invalid format. Expected one of: usd, mjcf, all")
    with ctx.sessions() as session:
        row = simready.get(session, who.account_id, job_id)
        if row.job.state != JobState.SUCCEEDED.value:
            body = {"error": "Job not yet completed", "status": views.status(row)}
            return JSONResponse(body, status_code=409)
        name = simready.model_name(row.filename)
        usd = [(o.name, {"key": o.key}) for o in simready.usd_outputs(row)]
        mjcf = [(o.name, {"key": o.key}) for o in simready.outputs(row, simready.MJCF_PREFIX)]
    if format == "mjcf" and not mjcf:
        raise MjcfUnavailable()
    if not usd and not mjcf:
        raise NotFound("This job has no USD or MJCF result (a simulation's files are its URLs)")
    members = {
        "usd": usd,
        "mjcf": mjcf,
        "all": [(f"usd/{n}", a) for n, a in usd] + [(f"mjcf/{n}", a) for n, a in mjcf],
    }[format]
    try:
        return zip_response(ctx.store, members, f"{name}-{format}.zip", request)
    except FileNotFoundError:
        raise NotFound("The job's files are no longer stored") from None


@files_router.get("/files/{job_id}/{name:path}")
def signed_file(
    job_id: str,
    name: str,
    request: Request,
    expires: int = Query(...),
    signature: str = Query(..., max_length=128),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """A file of a job's payload, by its signed, short-lived link (no key needed)."""
    if not valid(ctx.settings, views.file_path(job_id, name), expires, signature):
        return envelope(403, "forbidden", "This link is invalid or has expired", None)
    with ctx.sessions() as session:
        row = session.get(SimReadyAsset, job_id)
        stored = views.stored_input(row, name) if row is not None else None
    if stored is None:
        raise NotFound("File not found")
    try:
        return serve_object(
            ctx.store,
            stored["key"],
            request,
            media_type=stored.get("content_type") or "application/octet-stream",
            envelope=envelope,
            filename=stored["name"],
        )
    except FileNotFoundError:
        raise NotFound("The file is no longer stored") from None

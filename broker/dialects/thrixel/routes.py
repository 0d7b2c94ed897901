"""Thrixel's download API: ``/api/v1/{submission_id}/download`` and the ``/convert`` jobs.

A submission is a meshfarm model (its dx.gl id), reachable as :mod:`.access` says. GLB is
the stored file; FBX, OBJ (a ZIP with its MTL and textures), STL and USDZ come from the
conversion cache, one conversion per stored file and format whichever API asks, waited for
inline up to ``MESHFARM_INLINE_CONVERT_SECONDS`` (past it: 202, Retry-After and the job to
poll); thumbnails and reference images are meshfarm renders of the model. A convert job is
the cache's conversion: its id is the job id, its job's state the job's status.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse, Response

from broker.api.deps import get_ctx
from broker.api.downloads import serve_object
from broker.api.error_handlers import detail_envelope, server_roots
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Conversion, Model
from broker.dialects.thrixel import access
from broker.dialects.thrixel.schemas import ConvertFormat, ConvertIn, JobOut, JobStatus
from broker.errors import Conflict, FileNotFound, InvalidRequest, JobNotFound
from broker.jobs.states import JobState
from broker.safe_text import scrub_paths
from broker.security import Principal
from broker.services import format_cache, model_views
from exchange.formats import file_name
from workers.specs import ConvertTarget

router = APIRouter(prefix="/api/v1")

CONTENT_TYPES: dict[str, str] = {
    "glb": "model/gltf-binary",
    "fbx": "application/octet-stream",
    "obj": "application/zip",  # the OBJ, its MTL and its textures
    "stl": "model/stl",
    "usdz": "model/vnd.usdz+zip",
}
CONVERTED: tuple[ConvertFormat, ...] = ("fbx", "obj", "stl", "usdz")
INLINE: tuple[ConvertTarget, ...] = ("glb", *CONVERTED)
IMAGES = ("thumbnail", "reference_image")
FORMATS = ("glb", *CONVERTED, "py", *IMAGES)
REFERENCE_VIEWS = len(model_views.VIEWS)  # index 0..5
NO_SCRIPT = (
    "This submission has no generating script: meshfarm submissions are uploaded models, "
    "not generated ones, so format=py is never available"
)
_STATUS: dict[JobState, JobStatus] = {
    JobState.QUEUED: "queued",
    JobState.RUNNING: "running",
    JobState.FAILED: "failed",
    JobState.DISMISSED: "failed",
    JobState.CANCELLED: "failed",
}


def _stem(model: Model) -> str:
    return model.original_name.rsplit(".", 1)[0] or "model"


def _status(conversion: Conversion) -> JobStatus:
    if format_cache.is_ready(conversion):
        return "ready"
    if format_cache.is_failed(conversion):
        return "failed"
    return _STATUS.get(JobState(conversion.job.state), "running")


def job_out(
    request: Request, submission_id: str, conversion: Conversion, status: JobStatus | None = None
) -> JobOut:
    """The job as Thrixel shows it; URLs are absolute, from the request's own base URL."""
    status = status or _status(conversion)
    error = None
    if status == "failed":
        reason = conversion.job.error_message or "The conversion failed"
        error = scrub_paths(reason, server_roots(request))
    ready = status == "ready"
    return JobOut(
        job_id=conversion.id,
        submission_id=submission_id,
        format=conversion.target,
        status=status,
        error=error,
        download_url=str(request.url_for("job_download", job_id=conversion.id)) if ready else None,
        status_url=str(request.url_for("job_status", job_id=conversion.id)),
    )


def _serve_stored(ctx: AppContext, request: Request, key: str, media: str, name: str) -> Response:
    try:
        return serve_object(
            ctx.store, key, request, media_type=media, filename=name, envelope=detail_envelope
        )
    except FileNotFoundError:
        raise FileNotFound("The file is missing from storage") from None


def _failed(request: Request, what: str, detail: str) -> Response:
    reason = scrub_paths(detail, server_roots(request))
    return detail_envelope(422, "conversion_failed", f"{what} failed: {reason}")


@router.post("/convert", response_model=JobOut)
def convert(
    body: ConvertIn,
    request: Request,
    principal: Principal | None = Depends(access.caller),
    ctx: AppContext = Depends(get_ctx),
) -> JobOut:
    """The (submission, format)'s conversion: the existing one (ready or in progress)
    unless ``force`` re-runs a ready one, else a new one queued. Only the owner's token
    may force: an anonymous caller of a public model would otherwise re-run it at will."""
    with transaction(ctx.sessions) as session:
        model = access.submission(session, principal, body.submission_id)
    owner = principal is not None and principal.account_id == model.account_id
    source = format_cache.model_source(ctx.store, model)
    force = body.force and owner
    conversion = format_cache.obtain(ctx, model.account_id, source, body.format, force=force)
    return job_out(request, model.id, conversion)


def _job(ctx: AppContext, principal: Principal | None, job_id: str) -> tuple[Model, Conversion]:
    with ctx.sessions() as session:
        conversion = session.get(Conversion, job_id)
        if conversion is None or conversion.target not in CONTENT_TYPES:
            raise JobNotFound("Conversion job not found")
        model = access.submission_of(session, principal, conversion)
        session.expunge_all()
    return model, conversion


@router.get("/convert/{job_id}", response_model=JobOut, name="job_status")
def job_status(
    job_id: str,
    request: Request,
    principal: Principal | None = Depends(access.caller),
    ctx: AppContext = Depends(get_ctx),
) -> JobOut:
    model, conversion = _job(ctx, principal, job_id)
    return job_out(request, model.id, conversion)


@router.get("/convert/{job_id}/download", response_class=Response, name="job_download")
def job_download(
    job_id: str,
    request: Request,
    principal: Principal | None = Depends(access.caller),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    """The converted file; 409 while the job is queued or running, 410 once it failed."""
    model, conversion = _job(ctx, principal, job_id)
    status = _status(conversion)
    if status == "failed":
        reason = scrub_paths(conversion.job.error_message or "", server_roots(request))
        return detail_envelope(410, "gone", f"The conversion failed: {reason or 'no reason'}")
    if status != "ready":
        raise Conflict(f"The conversion is {status}; poll its status_url until it is ready")
    name = file_name(_stem(model), conversion.target)
    key = conversion.assets["asset"]["key"]
    return _serve_stored(ctx, request, key, CONTENT_TYPES[conversion.target], name)


@router.get(
    "/{submission_id}/download",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in sorted({*CONTENT_TYPES.values(), "image/png"})}},
        202: {"description": "Still converting past the inline bound (Retry-After)"},
    },
)
def download(
    submission_id: str,
    request: Request,
    format: str = Query("glb", description=", ".join(FORMATS) + " (obj: a ZIP with MTL, textures)"),
    index: int = Query(
        0, description="reference_image: 0 front, 1 back, 2 left, 3 right, 4 top, 5 three-quarter"
    ),
    principal: Principal | None = Depends(access.caller),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    wanted = format.strip().lower()
    if wanted not in FORMATS:
        raise InvalidRequest(f"format must be one of {', '.join(FORMATS)}")
    if wanted == "reference_image" and not 0 <= index < REFERENCE_VIEWS:
        raise InvalidRequest(f"index must be 0 to {REFERENCE_VIEWS - 1}")
    with transaction(ctx.sessions) as session:
        model = access.submission(session, principal, submission_id)
    if wanted == "py":
        return detail_envelope(404, "no_script", NO_SCRIPT)
    if wanted in IMAGES:
        return _image(ctx, request, model, wanted, index)
    if wanted == "glb" and model.file_format == "glb":
        name = f"{_stem(model)}.glb"
        return _serve_stored(ctx, request, model.storage_key, CONTENT_TYPES["glb"], name)
    return _inline(ctx, request, model, wanted)


def _inline(ctx: AppContext, request: Request, model: Model, target: str) -> Response:
    """The cache's file, waited for up to the inline bound; past it, 202 with the job."""
    as_target = next(t for t in INLINE if t == target)
    source = format_cache.model_source(ctx.store, model)
    conversion = format_cache.obtain(ctx, model.account_id, source, as_target)
    try:
        ready = (
            conversion
            if format_cache.is_ready(conversion)
            else format_cache.wait_ready(ctx, conversion.id, ctx.settings.inline_convert_seconds)
        )
    except format_cache.ConversionPending as exc:
        status: JobStatus = "running" if exc.state == JobState.RUNNING else "queued"
        body = job_out(request, model.id, conversion, status).model_dump()
        retry = str(exc.retry_after or format_cache.RETRY_AFTER_SECONDS)
        return JSONResponse(body, status_code=202, headers={"Retry-After": retry})
    except format_cache.ConversionFailed as exc:
        return _failed(request, f"Converting the submission to {target}", exc.detail)
    name = file_name(_stem(model), target)
    return _serve_stored(ctx, request, ready.assets["asset"]["key"], CONTENT_TYPES[target], name)


def _image(ctx: AppContext, request: Request, model: Model, wanted: str, index: int) -> Response:
    """A PNG rendered by meshfarm's renderer, once per model and view, then stored."""
    view = model_views.THUMBNAIL if wanted == "thumbnail" else model_views.VIEWS[index]
    try:
        image = model_views.view_file(ctx, model, view, ctx.settings.inline_convert_seconds)
    except format_cache.ConversionPending as exc:
        retry = str(exc.retry_after or format_cache.RETRY_AFTER_SECONDS)
        message = "The image is still being rendered; retry shortly"
        return detail_envelope(202, "rendering", message, {"Retry-After": retry})
    except format_cache.ConversionFailed as exc:
        return _failed(request, f"Rendering the {view} image", exc.detail)
    name = f"{_stem(model)}.png" if wanted == "thumbnail" else f"{_stem(model)}_{view}.png"
    return _serve_stored(ctx, request, image.key, image.content_type, name)

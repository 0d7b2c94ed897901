"""ORM rows to API shapes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from broker.db.models import Account, JobTransition, Model, Overlay, Render, as_utc, utcnow
from broker.dialects.dxgl.render_orders import status_of
from broker.dialects.dxgl.render_settings import echo
from broker.dialects.dxgl.schemas import (
    AccountOut,
    ModelDetailOut,
    ModelOut,
    OverlayOut,
    RenderOut,
    RenderSummary,
    UploadOut,
)
from broker.services.uploads import UploadResult
from workers.specs import RENDER_SPECS


def model_out(model: Model) -> ModelOut:
    return ModelOut(
        id=model.id,
        originalName=model.original_name,
        title=model.title,
        sku=model.sku,
        tags=[t.tag for t in model.tags],
        fileSize=model.file_size,
        sha256=model.sha256,
        originalFormat=model.source_format,
        archived=model.archived,
        public=model.public,
        createdAt=model.created_at,
    )


def model_detail_out(model: Model, renders: list[Render]) -> ModelDetailOut:
    return ModelDetailOut(
        **model_out(model).model_dump(),
        renders=[
            RenderSummary(
                id=r.id,
                status=status_of(r.job),
                renderSettings=echo(RENDER_SPECS.validate_python(r.job.spec)),
                is_system_preview=r.is_system_preview,
                createdAt=r.created_at,
                updatedAt=updated_at(r),
            )
            for r in renders
        ],
    )


def updated_at(render: Render) -> datetime:
    """A render changes when its outputs do and when its job moves (SQLite hands back
    naive UTC datetimes, PostgreSQL aware ones)."""
    return max(as_utc(render.updated_at), as_utc(render.job.updated_at))


PROGRESS = {
    "pending": 0,
    "poster-processing": 10,
    "poster-done": 20,
    "video-processing": 90,
    "done": 100,
}
"""A render's progress by status: the frames are drawn between ``poster-done`` (the first
one is out) and ``video-processing`` (the last one is)."""
FRAMES_FROM, FRAMES_TO = 20.0, 90.0
"""The span the frames drawn cover while the job is in a phase that draws them (a
dataset's views are all drawn in ``poster-processing``)."""
DRAWING = ("poster-processing", "poster-done")


def _started_at(render: Render) -> datetime | None:
    """When the job's current attempt was claimed (its latest queued → running move)."""
    session = object_session(render)
    if session is None:
        return None
    at = session.scalar(
        select(func.max(JobTransition.at)).where(
            JobTransition.job_id == render.job_id,
            JobTransition.from_state == "queued",
            JobTransition.to_state == "running",
        )
    )
    return as_utc(at) if at is not None else None


def _percent(status: str, render: Render) -> float | None:
    """The status's share, moved along by the frames drawn while they are being drawn:
    never below the status's own, so the figure only grows through an attempt."""
    base = PROGRESS.get(status)
    fraction = render.job.fraction
    if base is None or status not in DRAWING or fraction is None:
        return None if base is None else float(base)
    drawn = FRAMES_FROM + (FRAMES_TO - FRAMES_FROM) * min(1.0, max(0.0, fraction))
    return max(float(base), drawn)


def progress_of(status: str, render: Render) -> tuple[int | None, float | None]:
    """(progress %, seconds left): the time run so far scaled by what is left, which holds
    for a render whose frames take a steady time each."""
    percent = _percent(status, render)
    if percent is None or percent == 0:
        return None if percent is None else 0, None
    if percent == 100:
        return 100, 0.0
    started = _started_at(render)
    if started is None:
        return int(percent), None
    elapsed = max(0.0, (utcnow() - started).total_seconds())
    return int(percent), round(elapsed * (100 - percent) / percent, 1)


def render_out(render: Render) -> RenderOut:
    status = status_of(render.job)
    progress, eta = progress_of(status, render)
    return RenderOut(
        id=render.id,
        modelId=render.model_id,
        status=status,
        renderSettings=echo(RENDER_SPECS.validate_python(render.job.spec)),
        fileSize=render.file_size,
        errorMessage=render.job.error_message,
        hasWebVariant=render.has_web_variant,
        is_system_preview=render.is_system_preview,
        progress=progress,
        eta=eta,
        createdAt=render.created_at,
        updatedAt=updated_at(render),
    )


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id, email=account.email, credits=account.balance, isAdmin=account.is_admin
    )


def overlay_out(overlay: Overlay) -> OverlayOut:
    return OverlayOut(
        id=overlay.id,
        layer=overlay.layer,
        alignment=overlay.alignment,
        name=overlay.name,
        description=overlay.description,
        system=overlay.published,
        width=overlay.width,
        height=overlay.height,
        fileSize=overlay.file_size,
        createdAt=overlay.created_at,
    )


def upload_out(result: UploadResult) -> UploadOut:
    return UploadOut(modelId=result.model_id, renderId=result.render_id, duplicate=result.duplicate)

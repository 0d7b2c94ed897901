"""The render and dataset job kinds: their hooks into the job engine.

A render's job writes its files under ``renders/<render id>/attempt-<n>`` and records
them on the render row as it goes (posters first, then the videos); renders of one model
whose frames are identical run as one job group.
"""

from __future__ import annotations

import json
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Job, Model, Overlay, Render
from broker.jobs.kinds import InputMissing, KindHooks, Kinds
from broker.jobs.machine import now
from workers.catalogue import VIDEO_TIERS
from workers.environments import BUILTIN_ENVIRONMENTS
from workers.jobs import Assignment, JobEvent, RenderPhase, StoredInput
from workers.specs import JOB_SPECS, AnySpec, RenderSpec

PHASES: tuple[str, ...] = get_args(RenderPhase)
"""In the order a render goes through them (workers.jobs.RenderPhase)."""
MAX_GROUP = 8
"""Renders sharing one run of frames (one renderer, one encoder each)."""


def render_of(session: Session, job: Job) -> Render:
    render = session.scalar(select(Render).where(Render.job_id == job.id))
    if render is None:
        raise InputMissing("The render no longer exists")
    return render


def output_prefix(session: Session, job: Job, attempt: int) -> str:
    return f"renders/{render_of(session, job).id}/attempt-{attempt}"


def _overlay(session: Session, overlay_id: str | None) -> StoredInput | None:
    overlay = session.get(Overlay, overlay_id) if overlay_id else None
    return StoredInput(key=overlay.storage_key, format=overlay.image_format) if overlay else None


def assign(session: Session, job: Job, attempt: int, version: int) -> Assignment:
    render = render_of(session, job)
    model = session.get(Model, render.model_id)  # a deleted model's file stays: it renders
    if model is None:
        raise InputMissing("The model no longer exists")
    spec = JOB_SPECS.validate_python(job.spec)
    inputs: dict[str, StoredInput | None] = {
        "model": StoredInput(key=model.storage_key, format=model.file_format)
    }
    if isinstance(spec, RenderSpec):
        if spec.bg_image_id is not None:
            inputs["bg_image"] = _overlay(session, spec.bg_image_id)
        if spec.environment is not None and spec.environment not in BUILTIN_ENVIRONMENTS:
            inputs["environment"] = _overlay(session, spec.environment)
    return Assignment(
        job_id=job.id,
        attempt=attempt,
        lease_version=version,
        output_prefix=f"renders/{render.id}/attempt-{attempt}",
        spec=spec,
        inputs=inputs,
    )


def frame_key(spec: AnySpec) -> str | None:
    """Equal keys ⇒ equal frames: same model and picture, different packaging (tier codec,
    background colour — the encoders lay it under transparent frames). None for jobs that
    never share: datasets, previews, and renders whose background is the environment (it
    is drawn into the opaque frame: there is no transparent frame to lay a colour under)."""
    if not isinstance(spec, RenderSpec) or spec.preview or spec.background_environment:
        return None
    picture = spec.model_dump(exclude={"tier", "bg_color"})
    if spec.vignette:
        picture["bg_color"] = spec.bg_color  # the vignette darkens the background too
    picture["long_side"] = VIDEO_TIERS[spec.tier].long_side
    return json.dumps(picture, sort_keys=True)


def _record(session: Session, job: Job, event: JobEvent, **values: object) -> None:
    render = render_of(session, job)
    assets = {name: asset.model_dump() for name, asset in event.assets.items()}
    render.assets = {**(render.assets or {}), **assets}
    for name, value in values.items():
        setattr(render, name, value)
    render.updated_at = now()


def on_progress(session: Session, job: Job, event: JobEvent) -> None:
    """New outputs (the posters) are recorded; a bare phase change is the job's alone (the
    render's ``updatedAt`` is the later of its own and its job's)."""
    if event.assets:
        _record(session, job, event)


def on_success(session: Session, job: Job, event: JobEvent) -> None:
    _record(session, job, event, file_size=event.file_size, has_web_variant=event.has_web_variant)


def subject(session: Session, job: Job) -> str:
    return f"render {render_of(session, job).id}"


RENDER_HOOKS = KindHooks(
    assign=assign,
    output_prefix=output_prefix,
    phases=PHASES,
    group_key=frame_key,
    on_progress=on_progress,
    on_success=on_success,
    noun="render",
    subject=subject,
)
KINDS: Kinds = {"render": RENDER_HOOKS, "dataset": RENDER_HOOKS}
"""Every job kind the broker runs today, by ``Job.kind``."""

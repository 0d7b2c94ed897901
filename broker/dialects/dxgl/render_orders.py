"""dx.gl's render vocabulary over meshfarm's jobs: a request item → a checked render
order, and a job's (state, phase) → dx.gl's render ``status``."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session

from broker.db.models import Job
from broker.dialects.dxgl.render_settings import parse_render_settings, rejected, to_spec
from broker.errors import InvalidSettings, ModelIdRequired, ModelNotFound, SettingRejected
from broker.jobs.states import JobState
from broker.security import Principal
from broker.services import models as model_service
from broker.services import renders as render_service
from exchange.limits import AssetLimits
from workers.storage import ObjectStore

Status = Literal[
    "pending", "poster-processing", "poster-done", "video-processing", "done", "error", "failed"
]
_FINAL: dict[str, Status] = {
    JobState.SUCCEEDED: "done",
    JobState.FAILED: "error",
    JobState.DISMISSED: "failed",
    JobState.CANCELLED: "error",
}
STATUS_FILTERS: dict[str, list[render_service.JobFilter]] = {
    "pending": [
        render_service.JobFilter(JobState.QUEUED),
        render_service.JobFilter(JobState.RUNNING, no_phase=True),
    ],
    **{
        phase: [render_service.JobFilter(JobState.RUNNING, phase=phase)]
        for phase in ("poster-processing", "poster-done", "video-processing")
    },
    "done": [render_service.JobFilter(JobState.SUCCEEDED)],
    "error": [render_service.JobFilter(JobState.FAILED)],
    "failed": [render_service.JobFilter(JobState.DISMISSED)],
}
"""Which jobs each ``?status=`` shows."""


def status_of(job: Job) -> Status:
    """Queued, or claimed but not yet started, is ``pending``; a running job shows its
    phase; an ended one dx.gl's word for how it ended."""
    if job.state == JobState.RUNNING and job.phase is not None:
        phase: Any = job.phase  # one of the render kind's phases, spelt as dx.gl spells them
        return phase
    return _FINAL.get(job.state, "pending")


def render_order(
    session: Session,
    store: ObjectStore,
    principal: Principal,
    item: Any,
    *,
    limits: AssetLimits,
    where: str = "",
) -> render_service.RenderOrder:
    """One ``{"modelId", "renderSettings"}`` item (a render, a batch item, a batch-shaped
    quote item), checked as a render of it would be. ``where`` prefixes messages
    (``renders[3]: ``)."""
    if not isinstance(item, dict):
        raise InvalidSettings(f"{where}each render must be an object")
    model_id = item.get("modelId")
    if model_id is None or model_id == "":
        raise ModelIdRequired(f"{where}Missing modelId field" if where else None)
    if not isinstance(model_id, str):
        raise ModelNotFound()
    unknown = set(item) - {"modelId", "renderSettings"}
    if unknown:
        raise InvalidSettings(f"{where}unknown field(s): {', '.join(sorted(unknown))}")
    model_service.get_model(session, principal, model_id)  # model_not_found comes first
    try:
        settings = parse_render_settings(item.get("renderSettings"), is_admin=principal.is_admin)
    except InvalidSettings as exc:
        raise InvalidSettings(f"{where}{exc.detail}") from None
    try:
        return render_service.order(
            session, store, principal, to_spec(settings, model_id), limits=limits
        )
    except SettingRejected as exc:
        raise rejected(exc, where) from None

"""The render state machine in one place.

``pending → poster-processing → poster-done → video-processing → done``; any → ``error``.
Each transition is a compare-and-set on the render's current status *and* on the job's lease
(owner + version), so an attempt that lost its lease can no longer move the render.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from broker import queue
from broker.db.models import Job, Render
from workers.jobs import JobEvent

PREDECESSORS: dict[str, tuple[str, ...]] = {
    "poster-processing": ("pending",),
    "poster-done": ("poster-processing",),
    "video-processing": ("poster-processing", "poster-done"),
    "done": ("poster-processing", "poster-done", "video-processing"),
}


def _lease_holds(session: Session, lease: queue.Lease) -> bool:
    job = session.get(Job, lease.job_id, with_for_update=True)
    return (
        job is not None
        and job.state == "leased"
        and job.lease_owner == lease.owner
        and job.version == lease.version
    )


def _move(session: Session, render_id: str, target: str, **values: Any) -> bool:
    result = session.execute(
        update(Render)
        .where(Render.id == render_id, Render.status.in_(PREDECESSORS[target]))
        .values(status=target, updated_at=datetime.now(UTC), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def apply_event(session: Session, lease: queue.Lease, event: JobEvent) -> bool:
    """Apply one worker event; False when the lease or the status no longer allows it."""
    if event.lease_version != lease.version or not _lease_holds(session, lease):
        return False
    assets = {name: asset.model_dump() for name, asset in event.assets.items()}
    if event.kind == "status" and event.status is not None:
        values: dict[str, Any] = {}
        if assets:
            render = session.get(Render, lease.render_id)
            values["assets"] = {**(render.assets if render else {}), **assets}
        return _move(session, lease.render_id, event.status, **values)
    if event.kind == "done":
        render = session.get(Render, lease.render_id)
        merged = {**(render.assets if render else {}), **assets}
        moved = _move(
            session,
            lease.render_id,
            "done",
            assets=merged,
            file_size=event.file_size,
            has_web_variant=event.has_web_variant,
            error_message=None,
        )
        return queue.finish(session, lease) and moved
    queue.finish(session, lease)
    return queue.fail_render(session, lease.render_id, event.message or "The render failed")

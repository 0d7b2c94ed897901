"""A worker's report applied to its job: a phase, success or failure.

Only the attempt that holds the lease can move the job (the guard carries its owner and
version); a report from an attempt whose lease was taken over changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.db.models import Job
from broker.jobs.kinds import KindHooks
from broker.jobs.machine import move
from broker.jobs.queue import LEASE_CLEARED, Lease
from broker.jobs.states import JobState
from workers.jobs import JobEvent


def _forward(hooks: KindHooks, current: str | None, phase: str) -> bool:
    if phase not in hooks.phases:
        return False
    return current is None or hooks.phases.index(phase) > hooks.phases.index(current)


def apply_report(session: Session, lease: Lease, event: JobEvent, hooks: KindHooks) -> bool:
    """Apply one worker event; False when the lease or the job's state no longer allows it."""
    job = session.get(Job, lease.job_id, with_for_update=True)
    if event.lease_version != lease.version or job is None:
        return False
    by = f"worker:{lease.owner}"
    if event.kind == "progress":
        if event.phase is None or not _forward(hooks, job.phase, event.phase):
            return False
        moved = move(session, job.id, JobState.RUNNING, lease.guard, by=by, phase=event.phase)
        if moved:
            hooks.on_progress(session, job, event)
        return moved
    if event.kind == "done":
        moved = move(session, job.id, JobState.SUCCEEDED, lease.guard, by=by, **LEASE_CLEARED)
        if moved:
            hooks.on_success(session, job, event)
        return moved
    message = event.message or f"The {hooks.noun} failed"
    return move(
        session, job.id, JobState.FAILED, lease.guard, by=by, message=message, **LEASE_CLEARED
    )

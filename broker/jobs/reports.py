"""A worker's report applied to its job: a phase, the share of its frames drawn, success
or failure.

Only the attempt that holds the lease can move the job (the guard carries its owner and
version); a report from an attempt whose lease was taken over changes nothing. A frames
report is no move (no history row, no ``updated_at``): it only raises ``jobs.fraction``,
which an attempt's first phase clears, so a retry's bar starts from its own frames.
"""

from __future__ import annotations

from sqlalchemy import or_, update
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


def _record_fraction(session: Session, lease: Lease, fraction: float) -> bool:
    """Raise the job's fraction, under the lease's guard (never lower it)."""
    result = session.execute(
        update(Job)
        .where(
            *lease.guard.clauses(lease.job_id),
            or_(Job.fraction.is_(None), Job.fraction < fraction),
        )
        .values(fraction=fraction)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def apply_report(session: Session, lease: Lease, event: JobEvent, hooks: KindHooks) -> bool:
    """Apply one worker event; False when the lease or the job's state no longer allows it."""
    job = session.get(Job, lease.job_id, with_for_update=True)
    if event.lease_version != lease.version or job is None:
        return False
    by = f"worker:{lease.owner}"
    if event.kind == "progress" and event.fraction is not None:
        return _record_fraction(session, lease, min(1.0, max(0.0, event.fraction)))
    if event.kind == "progress":
        if event.phase is None or not _forward(hooks, job.phase, event.phase):
            return False
        fresh = {"fraction": None} if job.phase is None else {}
        moved = move(
            session, job.id, JobState.RUNNING, lease.guard, by=by, phase=event.phase, **fresh
        )
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

"""Moving a job from one state to another: the only code that writes ``jobs.state``.

Each move is one compare-and-set UPDATE guarded on the job's current state (and, for a
worker's report, on its lease owner and version) that must change exactly one row; the
same transaction writes the ``job_events`` row and settles the job's credits on success
or failure. A move that loses a race changes nothing and says so (False).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broker.db.models import Job, JobTransition
from broker.jobs import billing
from broker.jobs.states import JobState, allowed

MAX_MESSAGE = 2000


@dataclass(frozen=True)
class Guard:
    """What the row must still look like for the move to happen."""

    states: tuple[JobState, ...]
    lease_owner: str | None = None
    version: int | None = None

    def clauses(self, job_id: str) -> Iterable[ColumnElement[bool]]:
        yield Job.id == job_id
        yield Job.state.in_([s.value for s in self.states])
        if self.lease_owner is not None:
            yield Job.lease_owner == self.lease_owner
        if self.version is not None:
            yield Job.version == self.version


def now() -> datetime:
    return datetime.now(UTC)


def move(
    session: Session,
    job_id: str,
    target: JobState,
    guard: Guard,
    *,
    by: str,
    phase: str | None = None,
    message: str | None = None,
    **values: Any,
) -> bool:
    """Move the job to ``target`` if it still matches ``guard``; record and settle it."""
    sources = [s for s in guard.states if allowed(s, target)]
    if not sources:
        raise ValueError(f"no transition to {target} from {', '.join(guard.states)}")
    current = session.scalar(select(Job.state).where(Job.id == job_id))
    if current is None or JobState(current) not in sources:
        return False
    source = JobState(current)
    narrowed = Guard((source,), guard.lease_owner, guard.version)
    text = message[:MAX_MESSAGE] if message is not None else None
    if target is JobState.FAILED:
        values.setdefault("error_message", text)
    result = session.execute(
        update(Job)
        .where(*narrowed.clauses(job_id))
        .values(state=target.value, phase=phase, updated_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        JobTransition(
            job_id=job_id,
            by=by[:100],
            from_state=source.value,
            to_state=target.value,
            phase=phase,
            message=text,
        )
    )
    session.flush()
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    if target is JobState.SUCCEEDED:
        billing.charge(session, job)
    elif target is JobState.FAILED:
        billing.refund(session, job)
    return True


def record_creation(session: Session, job: Job, *, by: str) -> None:
    """The first history row of a job: accepted into the queue."""
    session.add(JobTransition(job_id=job.id, by=by[:100], from_state=None, to_state=job.state))

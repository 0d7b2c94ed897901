"""The jobs table as a queue: claim with a lease, renew it, requeue what was abandoned.

Claims and requeues are state transitions (broker.jobs.machine), so each is a
compare-and-set that must change exactly one row and is written to the job's history;
the lease version they bump fences a worker whose lease was taken over out of every
later move. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``; SQLite's
``BEGIN IMMEDIATE`` (see broker.db.engine) already makes each claim the only writer.
The queue knows nothing of what a job does: that is its kind's (broker.jobs.kinds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from broker.db.models import Job
from broker.jobs.machine import Guard, move, now
from broker.jobs.states import JobState
from workers.specs import JOB_SPECS, AnySpec


@dataclass(frozen=True)
class Lease:
    """What the dispatcher holds while a worker runs a job; ``version`` fences stale holders."""

    job_id: str
    kind: str
    owner: str
    version: int
    attempt: int

    @property
    def guard(self) -> Guard:
        return Guard((JobState.RUNNING,), self.owner, self.version)


def _take(session: Session, job: Job, owner: str, lease_seconds: int) -> Lease | None:
    version, attempt = job.version + 1, job.attempts + 1  # ``job`` is refreshed by the move
    taken = move(
        session,
        job.id,
        JobState.RUNNING,
        Guard((JobState.QUEUED,), version=job.version),
        by=owner,
        message=f"attempt {attempt}",
        lease_owner=owner,
        lease_expires_at=now() + timedelta(seconds=lease_seconds),
        attempts=Job.attempts + 1,
        version=Job.version + 1,
    )
    if not taken:
        return None
    return Lease(job.id, job.kind, owner, version, attempt)


def _skip_locked(session: Session, query: Select[Any]) -> Select[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=Job)
    return query


def claim(session: Session, owner: str, lease_seconds: int, kinds: list[str]) -> Lease | None:
    """Lease the first queued job of one of ``kinds`` (highest priority, then oldest)."""
    query = (
        select(Job)
        .where(Job.state == JobState.QUEUED.value, Job.kind.in_(kinds))
        .order_by(Job.priority.desc(), Job.created_at, Job.id)
        .limit(1)
    )
    job = session.scalar(_skip_locked(session, query))
    return _take(session, job, owner, lease_seconds) if job is not None else None


def claim_siblings(
    session: Session,
    lease: Lease,
    owner: str,
    lease_seconds: int,
    key: Callable[[AnySpec], str | None],
    limit: int,
) -> list[Lease]:
    """Also lease queued jobs of the same kind whose ``key`` equals the leased one's: they
    run as one (a batch's renders that share their frames; the key names the model)."""
    job = session.get(Job, lease.job_id)
    spec = JOB_SPECS.validate_python(job.spec) if job is not None else None
    wanted = key(spec) if spec is not None else None
    if spec is None or wanted is None:
        return []
    query = (
        select(Job)
        .where(Job.state == JobState.QUEUED.value, Job.kind == lease.kind, Job.id != lease.job_id)
        .order_by(Job.created_at, Job.id)
        .limit(limit * 4)
    )
    siblings: list[Lease] = []
    for candidate in session.scalars(_skip_locked(session, query)).all():
        if len(siblings) >= limit:
            break
        other = JOB_SPECS.validate_python(candidate.spec)
        if key(other) != wanted:
            continue
        if taken := _take(session, candidate, owner, lease_seconds):
            siblings.append(taken)
    return siblings


def renew(session: Session, lease: Lease, lease_seconds: int) -> bool:
    """Extend the lease; False means it was lost (expired and taken over): stop working."""
    result = session.execute(
        update(Job)
        .where(*lease.guard.clauses(lease.job_id))
        .values(lease_expires_at=now() + timedelta(seconds=lease_seconds), updated_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def expire(session: Session, lease: Lease) -> None:
    """The worker running the lease died: let the next sweep requeue the job now."""
    session.execute(
        update(Job)
        .where(*lease.guard.clauses(lease.job_id))
        .values(lease_expires_at=now() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )


LEASE_CLEARED: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}


def requeue_expired(
    session: Session, by: str, nouns: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Expired leases go back to the queue, or fail after their last attempt (refunded).

    ``nouns`` names each kind in the failure message. Returns (requeued, failed) job ids.
    """
    expired = session.scalars(
        select(Job).where(Job.state == JobState.RUNNING.value, Job.lease_expires_at < now())
    ).all()
    requeued: list[str] = []
    failed: list[str] = []
    for job in expired:
        guard = Guard((JobState.RUNNING,), version=job.version)
        if job.attempts >= job.max_attempts:
            noun = nouns.get(job.kind, "job")
            message = f"The {noun} was interrupted {job.attempts} times and has been abandoned"
            if move(
                session, job.id, JobState.FAILED, guard, by=by, message=message, **LEASE_CLEARED
            ):
                failed.append(job.id)
        elif move(
            session,
            job.id,
            JobState.QUEUED,
            guard,
            by=by,
            message="lease expired",
            version=Job.version + 1,
            **LEASE_CLEARED,
        ):
            requeued.append(job.id)
    return requeued, failed

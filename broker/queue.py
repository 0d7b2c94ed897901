"""The jobs table as a queue: claim with a lease, renew it, requeue what was abandoned.

Every write is a compare-and-set guarded on (state, lease owner, version) that must change
exactly one row, so a worker whose lease was taken over can never complete a job twice.
PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``; SQLite's ``BEGIN IMMEDIATE`` (see
broker.db.engine) already makes each claim the only writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broker.db.models import Job, Render
from broker.services import credits
from workers.jobs import JobKind


@dataclass(frozen=True)
class Lease:
    """What a worker holds while it runs a job; ``version`` fences stale holders out."""

    job_id: str
    render_id: str
    kind: JobKind
    owner: str
    version: int
    attempt: int


def _now() -> datetime:
    return datetime.now(UTC)


def _take(session: Session, job: Job, owner: str, lease_seconds: int) -> Lease | None:
    """Lease one queued job (compare-and-set on its version)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == "queued", Job.version == job.version)
        .values(
            state="leased",
            lease_owner=owner,
            lease_expires_at=_now() + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            version=Job.version + 1,
            updated_at=_now(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    kind = cast(JobKind, job.kind)
    return Lease(job.id, job.render_id, kind, owner, job.version + 1, job.attempts + 1)


def _skip_locked(session: Session, query: Select[Any]) -> Select[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=Job)
    return query


def claim(session: Session, owner: str, lease_seconds: int) -> Lease | None:
    query = (
        select(Job)
        .where(Job.state == "queued")
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
    key: Callable[[dict[str, Any]], str | None],
    limit: int,
) -> list[Lease]:
    """Also lease queued renders of the same model whose ``key`` equals the leased one's."""
    render = session.get(Render, lease.render_id)
    wanted = key(render.settings) if render is not None and lease.kind == "render" else None
    if render is None or wanted is None:
        return []
    query = (
        select(Job, Render.settings)
        .join(Render, Render.id == Job.render_id)
        .where(Job.state == "queued", Job.kind == "render", Render.model_id == render.model_id)
        .order_by(Job.created_at, Job.id)
        .limit(limit * 4)
    )
    siblings: list[Lease] = []
    for job, settings in session.execute(_skip_locked(session, query)).all():
        if len(siblings) >= limit:
            break
        if key(settings) == wanted and (taken := _take(session, job, owner, lease_seconds)):
            siblings.append(taken)
    return siblings


def _guard(lease: Lease) -> tuple[ColumnElement[bool], ...]:
    return (
        Job.id == lease.job_id,
        Job.state == "leased",
        Job.lease_owner == lease.owner,
        Job.version == lease.version,
    )


def renew(session: Session, lease: Lease, lease_seconds: int) -> bool:
    """Extend the lease; False means it was lost (expired and taken over): stop working."""
    result = session.execute(
        update(Job)
        .where(*_guard(lease))
        .values(lease_expires_at=_now() + timedelta(seconds=lease_seconds), updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def finish(session: Session, lease: Lease) -> bool:
    """Mark the job finished; only the current lease holder can."""
    result = session.execute(
        update(Job)
        .where(*_guard(lease))
        .values(state="finished", lease_owner=None, lease_expires_at=None, updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def fail_render(session: Session, render_id: str, message: str) -> bool:
    """Any non-final status → error, with the message and the credits refunded once."""
    result = session.execute(
        update(Render)
        .where(Render.id == render_id, Render.status.not_in(("done", "error", "failed")))
        .values(status="error", error_message=message[:2000], updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    render = session.get(Render, render_id)
    if render is not None:
        session.refresh(render)
        credits.refund(session, render)
    return True


def requeue_expired(session: Session) -> tuple[list[str], list[str]]:
    """Expired leases go back to the queue, or to ``error`` after their last attempt.

    Returns (requeued job ids, failed job ids).
    """
    expired = session.scalars(
        select(Job).where(Job.state == "leased", Job.lease_expires_at < _now())
    ).all()
    requeued: list[str] = []
    failed: list[str] = []
    for job in expired:
        out_of_attempts = job.attempts >= job.max_attempts
        result = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == "leased", Job.version == job.version)
            .values(
                state="finished" if out_of_attempts else "queued",
                lease_owner=None,
                lease_expires_at=None,
                version=Job.version + 1,
                updated_at=_now(),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if out_of_attempts:
            fail_render(
                session,
                job.render_id,
                f"The render was interrupted {job.attempts} times and has been abandoned",
            )
            failed.append(job.id)
        else:
            session.execute(
                update(Render)
                .where(
                    Render.id == job.render_id, Render.status.not_in(("done", "error", "failed"))
                )
                .values(status="pending", updated_at=_now())
                .execution_options(synchronize_session=False)
            )
            requeued.append(job.id)
    return requeued, failed

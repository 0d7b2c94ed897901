"""Accepting jobs: one row per spec, its first history row, and its credits reserved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from broker.db.models import Job
from broker.ids import new_id
from broker.jobs import billing
from broker.jobs.machine import record_creation
from workers.specs import AnySpec


def submit(
    session: Session,
    account_id: str,
    specs: Sequence[AnySpec],
    *,
    by: str,
    max_attempts: int,
) -> list[Job]:
    """Queue every spec and reserve their credits together: all or nothing (NoCredits)."""
    jobs = [
        Job(
            id=new_id(),
            kind=spec.kind,
            account_id=account_id,
            state="queued",
            spec=spec.model_dump(mode="json"),
            credits=spec.credits,
            priority=spec.priority,
            max_attempts=max_attempts,
        )
        for spec in specs
    ]
    session.add_all(jobs)
    session.flush()
    for job in jobs:
        record_creation(session, job, by=by)
    billing.reserve(session, account_id, jobs)
    return jobs

"""Jobs as an operator sees them: one job with its whole history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Job, JobTransition
from broker.errors import JobNotFound


@dataclass(frozen=True)
class JobRecord:
    job: Job
    history: list[JobTransition]


def get_job(session: Session, job_id: str) -> JobRecord:
    job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound()
    history = session.scalars(
        select(JobTransition).where(JobTransition.job_id == job_id).order_by(JobTransition.id)
    ).all()
    return JobRecord(job, list(history))

"""Jobs as an operator sees them: one job with its whole history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Job, JobTransition, Render
from broker.errors import JobNotFound


@dataclass(frozen=True)
class JobRecord:
    job: Job
    history: list[JobTransition]


def get_job(session: Session, job_id: str) -> JobRecord:
    """By the job's id, or by the id of the resource it made (a render's)."""
    job = session.get(Job, job_id)
    if job is None:
        render = session.get(Render, job_id)
        job = render.job if render is not None else None
    if job is None:
        raise JobNotFound()
    history = session.scalars(
        select(JobTransition).where(JobTransition.job_id == job.id).order_by(JobTransition.id)
    ).all()
    return JobRecord(job, list(history))

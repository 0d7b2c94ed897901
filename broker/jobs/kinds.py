"""What each job kind adds to the engine: its hooks, called by the queue and the dispatcher.

The engine moves states and settles credits for every kind alike; a kind says how a
claimed job becomes an assignment (where its inputs are now), which queued jobs may share
one run, what its phases are, and what to record when it progresses or succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker.db.models import Job
from workers.jobs import Assignment, JobEvent
from workers.specs import AnySpec


class InputMissing(Exception):
    """A claimed job's input (its model) is gone: the job fails with this message."""


def _nothing(session: Session, job: Job, event: JobEvent) -> None:
    return None


def _alone(spec: AnySpec) -> str | None:
    return None


def _job_itself(session: Session, job: Job) -> str:
    return f"{job.kind} job {job.id}"


@dataclass(frozen=True)
class KindHooks:
    assign: Callable[[Session, Job, int, int], Assignment]
    """(session, job, attempt, lease version) → what the worker runs; may raise InputMissing."""
    output_prefix: Callable[[Session, Job, int], str]
    """Where an attempt writes its files; earlier attempts' are removed once one succeeds."""
    phases: tuple[str, ...] = ()
    """The kind's phases in order: a report may only move a job forward through them."""
    group_key: Callable[[AnySpec], str | None] = _alone
    """Equal keys (never None) ⇒ the jobs can run as one (a render's identical frames)."""
    on_progress: Callable[[Session, Job, JobEvent], None] = _nothing
    on_success: Callable[[Session, Job, JobEvent], None] = _nothing
    noun: str = "job"
    """How messages name one job of this kind ("The render was interrupted …")."""
    subject: Callable[[Session, Job], str] = _job_itself
    """How the operator's log names the job: by what the client knows it as."""


Kinds = Mapping[str, KindHooks]

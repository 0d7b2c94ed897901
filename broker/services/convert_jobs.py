"""The convert job kind: its hooks into the job engine.

A conversion's job reads the stored upload and writes under
``conversions/<conversion id>/attempt-<n>``; its ``done`` event brings the converted file,
the health report (JSON and PDF), a thumbnail and the files the converted asset refers to
(``files/<relative path>``), with the report itself as the event's ``result``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Conversion, Job
from broker.jobs.kinds import InputMissing, KindHooks, Kinds
from broker.jobs.machine import now
from workers.jobs import Assignment, JobEvent, StoredInput
from workers.specs import JOB_SPECS


def conversion_of(session: Session, job: Job) -> Conversion:
    conversion = session.scalar(select(Conversion).where(Conversion.job_id == job.id))
    if conversion is None:
        raise InputMissing("The conversion no longer exists")
    return conversion


def output_prefix(session: Session, job: Job, attempt: int) -> str:
    return f"conversions/{conversion_of(session, job).id}/attempt-{attempt}"


def assign(session: Session, job: Job, attempt: int, version: int) -> Assignment:
    conversion = conversion_of(session, job)
    return Assignment(
        job_id=job.id,
        attempt=attempt,
        lease_version=version,
        output_prefix=output_prefix(session, job, attempt),
        spec=JOB_SPECS.validate_python(job.spec),
        inputs={"source": StoredInput(key=conversion.source_key, format=conversion.source_format)},
    )


def _score(report: dict[str, Any] | None) -> int | None:
    """The report's grade as a whole number, when it has one (a bool is not a score)."""
    value = (report or {}).get("health_score")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value)


def on_success(session: Session, job: Job, event: JobEvent) -> None:
    conversion = conversion_of(session, job)
    conversion.assets = {name: asset.model_dump() for name, asset in event.assets.items()}
    conversion.report = event.result
    conversion.health_score = _score(event.result)
    conversion.completed_at = now()


def subject(session: Session, job: Job) -> str:
    return f"conversion {conversion_of(session, job).id}"


CONVERT_HOOKS = KindHooks(
    assign=assign,
    output_prefix=output_prefix,
    on_success=on_success,
    noun="conversion",
    subject=subject,
)
KINDS: Kinds = {"convert": CONVERT_HOOKS}

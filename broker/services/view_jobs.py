"""The views job kind: its hooks into the job engine.

A views job renders one model file's canonical views and thumbnail
(:mod:`workers.views_job`), writing under ``views/<job id>/attempt-<n>``; its ``done``
event's PNGs are recorded on the ``model_views`` row that names the job
(:mod:`broker.services.model_views`), where every model with those bytes finds them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Job, Model, ModelView
from broker.jobs.kinds import InputMissing, KindHooks, Kinds
from broker.jobs.machine import now
from workers.jobs import Assignment, JobEvent, StoredInput
from workers.specs import JOB_SPECS, ViewsSpec


def output_prefix(session: Session, job: Job, attempt: int) -> str:
    return f"views/{job.id}/attempt-{attempt}"


def _spec(job: Job) -> ViewsSpec:
    spec = JOB_SPECS.validate_python(job.spec)
    assert isinstance(spec, ViewsSpec), spec.kind
    return spec


def assign(session: Session, job: Job, attempt: int, version: int) -> Assignment:
    spec = _spec(job)
    model = session.get(Model, spec.model_id)  # a deleted model's file stays: it renders
    if model is None:
        raise InputMissing("The model no longer exists")
    return Assignment(
        job_id=job.id,
        attempt=attempt,
        lease_version=version,
        output_prefix=output_prefix(session, job, attempt),
        spec=spec,
        inputs={"model": StoredInput(key=model.storage_key, format=model.file_format)},
    )


def on_success(session: Session, job: Job, event: JobEvent) -> None:
    """The PNGs on the row naming this job (none when a retry moved the key on: the
    outputs are then the janitor's)."""
    entry = session.scalar(select(ModelView).where(ModelView.job_id == job.id))
    if entry is not None:
        entry.assets = {name: asset.model_dump() for name, asset in event.assets.items()}
        entry.updated_at = now()


def subject(session: Session, job: Job) -> str:
    return f"views of model {_spec(job).model_id}"


VIEWS_HOOKS = KindHooks(
    assign=assign,
    output_prefix=output_prefix,
    on_success=on_success,
    noun="views render",
    subject=subject,
)
KINDS: Kinds = {"views": VIEWS_HOOKS}

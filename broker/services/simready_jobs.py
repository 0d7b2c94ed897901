"""The simready and simulate job kinds: their hooks into the job engine.

A build reads its stored upload and writes under ``simready/<id>/attempt-<n>``; its
``done`` event brings the USD and its textures, the MJCF package (file by file and as one
ZIP), the thumbnail, the report and, for a non-GLB upload, the intermediate GLB, with the
report and the input's statistics as the event's result. A simulation reads its parent's
MJCF package and brings a video, a GIF and a log, its verdict as the result.

A non-GLB upload is preprocessed first, by the runner that claimed it: preprocessing
begins with the claim (each attempt starts it afresh) and ends with the worker's
``preprocess`` report, which carries the intermediate GLB; the SimReady pipeline's own
stages follow (``physics`` …), and the pipeline's start is the job's ``started_at``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Job, SimReadyAsset
from broker.jobs.kinds import InputMissing, KindHooks, Kinds
from broker.jobs.machine import now
from workers.jobs import Assignment, JobEvent, StoredInput
from workers.specs import JOB_SPECS

BUILD_PHASES = ("preprocess", "physics", "collision_decompose", "usd", "mjcf", "validate", "export")
SIMULATE_PHASES = ("simulate", "encode")


def asset_of(session: Session, job: Job) -> SimReadyAsset:
    row = session.scalar(select(SimReadyAsset).where(SimReadyAsset.job_id == job.id))
    if row is None:
        raise InputMissing("The simulation-ready asset no longer exists")
    return row


def output_prefix(session: Session, job: Job, attempt: int) -> str:
    return f"simready/{asset_of(session, job).id}/attempt-{attempt}"


def _assignment(
    session: Session, job: Job, attempt: int, version: int, inputs: dict[str, StoredInput | None]
) -> Assignment:
    return Assignment(
        job_id=job.id,
        attempt=attempt,
        lease_version=version,
        output_prefix=output_prefix(session, job, attempt),
        spec=JOB_SPECS.validate_python(job.spec),
        inputs=inputs,
    )


def _claimed(row: SimReadyAsset) -> None:
    """What the runner that claimed the job starts with: the preprocessing of a non-GLB
    upload (afresh on each attempt), else the pipeline (or the simulation) itself."""
    if row.job_type == "glb_to_simready" and row.source_format not in (None, "glb"):
        row.preprocess_started_at, row.preprocess_completed_at = now(), None
        row.started_at = None
        row.assets = {}
    else:
        row.started_at = row.started_at or now()


def assign_build(session: Session, job: Job, attempt: int, version: int) -> Assignment:
    row = asset_of(session, job)
    if row.job_type != "glb_to_simready":  # generated: the generator gets the images
        _claimed(row)
        images = (row.input_meta or {}).get("images", [])
        inputs: dict[str, StoredInput | None] = {
            f"image-{n}": StoredInput(key=image["key"], format=image["format"])
            for n, image in enumerate(images)
        }
        return _assignment(session, job, attempt, version, inputs)
    if row.source_key is None or row.source_format is None:
        raise InputMissing("The simulation-ready asset has no input")
    _claimed(row)
    source = StoredInput(key=row.source_key, format=row.source_format)
    return _assignment(session, job, attempt, version, {"source": source})


def assign_simulation(session: Session, job: Job, attempt: int, version: int) -> Assignment:
    row = asset_of(session, job)
    parent = session.get(SimReadyAsset, row.source_id) if row.source_id else None
    package = (parent.assets or {}).get("mjcf_package") if parent is not None else None
    if package is None:
        raise InputMissing("The simulation-ready asset's MJCF package no longer exists")
    stored = StoredInput(key=package["key"], format="zip")
    _claimed(row)
    return _assignment(session, job, attempt, version, {"package": stored})


def on_progress(session: Session, job: Job, event: JobEvent) -> None:
    row = asset_of(session, job)
    at = now()
    if event.phase == "preprocess" and row.preprocess_started_at is not None:
        row.preprocess_completed_at = at
        row.assets = {name: asset.model_dump() for name, asset in event.assets.items()}
    else:
        row.started_at = row.started_at or at


def on_success(session: Session, job: Job, event: JobEvent) -> None:
    row = asset_of(session, job)
    at = now()
    row.assets = {name: asset.model_dump() for name, asset in event.assets.items()}
    result = event.result or {}
    if row.job_type == "simulate_usd":
        row.report = {"verdict": result}
    else:
        row.report = result.get("report")
        row.input_stats = result.get("input_stats")
    row.started_at = row.started_at or at
    row.completed_at = at


def subject(session: Session, job: Job) -> str:
    return f"simready asset {asset_of(session, job).id}"


KINDS: Kinds = {
    "simready": KindHooks(
        assign=assign_build,
        output_prefix=output_prefix,
        phases=BUILD_PHASES,
        on_progress=on_progress,
        on_success=on_success,
        noun="conversion",
        subject=subject,
    ),
    "simulate": KindHooks(
        assign=assign_simulation,
        output_prefix=output_prefix,
        phases=SIMULATE_PHASES,
        on_progress=on_progress,
        on_success=on_success,
        noun="simulation",
        subject=subject,
    ),
}

"""A simulation-ready asset in Rigyd's words: its status enum, its job payloads (the
202's, the list's trimmed one and the full one of ``GET /api/conversions/:id``), and
its files as signed, short-lived URLs.

Rigyd's statuses from the job's: a GLB is ``queued`` while its job is, then ``running``.
A non-GLB upload is ``preprocessing`` until it is converted to a clean GLB (its job queued
for a runner, then running until the worker's ``preprocess`` report brings the
intermediate GLB), then ``queued`` — handed to the SimReady pipeline, which has not begun
yet — until the pipeline reports its first stage, then ``running``. ``succeeded`` is
``completed``; ``failed`` and ``cancelled`` are ``failed``, with the credits refunded (so
``credits_charged`` is 0, as the seed says to check).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from broker.api.signed_urls import sign
from broker.db.models import SimReadyAsset, as_utc
from broker.jobs.states import JobState
from broker.services import simready
from workers.config import Settings

PROGRESS = {
    "preprocess": 5,
    "physics": 20,
    "collision_decompose": 30,
    "usd": 60,
    "mjcf": 75,
    "validate": 85,
    "export": 95,
    "simulate": 30,
    "encode": 90,
}
PREPROCESS_STEPS = ["read", "repair", "export"]
"""What meshfarm's preprocessing does to a non-GLB upload (workers.simready_child's)."""
REFUNDED = {JobState.FAILED.value, JobState.CANCELLED.value}
GENERATED = ("text_to_simready", "image_to_simready", "multiview_to_simready")


def stamp(at: datetime | None) -> str | None:
    if at is None:
        return None
    return as_utc(at).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _preprocessed(row: SimReadyAsset) -> bool:
    return row.source_format is not None and row.source_format != "glb"


def status(row: SimReadyAsset) -> str:
    state = row.job.state
    if state == JobState.SUCCEEDED.value:
        return "completed"
    if state in REFUNDED or state == JobState.DISMISSED.value:
        return "failed"
    if _preprocessed(row) and row.preprocess_completed_at is None:
        return "preprocessing"
    if state == JobState.QUEUED.value:
        return "queued"
    return "queued" if _preprocessed(row) and row.job.phase == "preprocess" else "running"


def progress(row: SimReadyAsset) -> int:
    if row.job.state == JobState.SUCCEEDED.value:
        return 100
    return PROGRESS.get(stage(row) or "", 0)


def stage(row: SimReadyAsset) -> str | None:
    if row.job.state == JobState.SUCCEEDED.value:
        return "export" if row.job_type != simready.SIMULATION else "encode"
    if row.job.state == JobState.RUNNING.value and status(row) == "preprocessing":
        return "preprocess"
    return row.job.phase


def credits_charged(row: SimReadyAsset) -> int:
    return 0 if row.job.state in REFUNDED else row.job.credits


def accepted(row: SimReadyAsset) -> dict[str, Any]:
    """The 202's ``data``."""
    data: dict[str, Any] = {
        "id": row.id,
        "physiq_job_id": f"phy_{row.job_id}",
        "status": status(row),
        "filename": row.filename,
        "progress": 0,
        "job_type": row.job_type,
        "credits_charged": row.job.credits,
        "createdAt": stamp(row.created_at),
    }
    if row.source_id:
        data["source_job_id"] = row.source_id
    return data


def summary(row: SimReadyAsset) -> dict[str, Any]:
    """The list's trimmed shape."""
    return {
        "id": row.id,
        "physiq_job_id": f"phy_{row.job_id}",
        "status": status(row),
        "filename": row.filename,
        "file_size_bytes": row.source_size,
        "stage": stage(row),
        "progress": progress(row),
        "job_type": row.job_type,
        "credits_charged": credits_charged(row),
        "createdAt": stamp(row.created_at),
        "updatedAt": stamp(row.job.updated_at),
    }


def file_path(job_id: str, name: str) -> str:
    """A file link's path within the Rigyd app (what its signature covers)."""
    return f"/files/{quote(job_id)}/{quote(name)}"


class Links:
    """Signed URLs of a row's stored files, under the Rigyd app's base URL."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self.base = str(request.base_url).rstrip("/") + request.scope.get("root_path", "")
        self.settings = settings

    def url(self, row: SimReadyAsset, name: str) -> str:
        return self.base + sign(self.settings, file_path(row.id, name))

    def file(self, row: SimReadyAsset, asset: str, shown: str) -> dict[str, Any] | None:
        stored = (row.assets or {}).get(asset)
        if stored is None:
            return None
        return {"url": self.url(row, asset), "name": shown, "size": int(stored["size"])}


def full(
    row: SimReadyAsset,
    links: Links,
    *,
    parent: SimReadyAsset | None,
    children: list[SimReadyAsset],
) -> dict[str, Any]:
    """``GET /api/conversions/:id``'s ``data``."""
    name = simready.model_name(parent.filename if parent is not None else row.filename)
    data = summary(row)
    data.update(
        {
            "error": row.job.error_message if status(row) == "failed" else None,
            "timing": {  # a preprocessed upload is queued for the pipeline once converted
                "queued_at": stamp(
                    row.preprocess_completed_at if _preprocessed(row) else row.created_at
                ),
                "started_at": stamp(row.started_at),
                "completed_at": stamp(row.completed_at),
            },
            "parameters": row.parameters or {},
            "report": row.report,
            "input": _input(row, links),
            "preprocess": _preprocess(row, links),
            "output": _output(row, links, name),
            "source_job": _source(parent),
            "simulations": [_child(c, links) for c in children],
        }
    )
    return data


def _input(row: SimReadyAsset, links: Links) -> dict[str, Any]:
    if row.job_type in GENERATED:
        images = (row.input_meta or {}).get("images", [])
        shown = [
            {"url": links.url(row, f"image-{n}"), "name": i["name"]} for n, i in enumerate(images)
        ]
        return {"model": None, "images": shown, "metadata": None}
    model = None
    if row.source_key is not None:
        model = {"url": links.url(row, "source"), "name": row.filename}
    return {"model": model, "images": [], "metadata": row.input_meta}


def stored_input(row: SimReadyAsset, name: str) -> dict[str, Any] | None:
    """What a file link names: the upload (``source``), an image (``image-<n>``), or one of
    the job's outputs; None when it names nothing of this row's."""
    if name == "source":
        return {"key": row.source_key, "name": row.filename} if row.source_key else None
    if name.startswith("image-") and row.job_type in GENERATED:
        images = (row.input_meta or {}).get("images", [])
        index = name.removeprefix("image-")
        if index.isdigit() and int(index) < len(images):
            return images[int(index)]
        return None
    stored = (row.assets or {}).get(name)
    if stored is None:
        return None
    return {**stored, "name": PurePosixPath(name).name}


def _preprocess(row: SimReadyAsset, links: Links) -> dict[str, Any]:
    if not _preprocessed(row):
        return {
            "status": "skipped",
            "steps": None,
            "started_at": None,
            "completed_at": None,
            "error": None,
            "input_stats": None,
            "telemetry": None,
            "intermediate_glb": None,
        }
    failed = row.job.state in REFUNDED and row.preprocess_completed_at is None
    if row.preprocess_completed_at is not None:
        state = "completed"
    elif failed:
        state = "failed"
    elif row.preprocess_started_at is not None:
        state = "running"
    else:
        state = "pending"
    telemetry = None
    if row.preprocess_started_at is not None and row.preprocess_completed_at is not None:
        took = as_utc(row.preprocess_completed_at) - as_utc(row.preprocess_started_at)
        telemetry = {"duration_ms": round(took.total_seconds() * 1000)}
    glb = None
    if "intermediate_glb" in (row.assets or {}):
        glb = {"url": links.url(row, "intermediate_glb"), "name": "intermediate.glb"}
    return {
        "status": state,
        "steps": PREPROCESS_STEPS,
        "started_at": stamp(row.preprocess_started_at),
        "completed_at": stamp(row.preprocess_completed_at),
        "error": row.job.error_message if failed else None,
        "input_stats": row.input_stats,
        "telemetry": telemetry,
        "intermediate_glb": glb,
    }


def _output(row: SimReadyAsset, links: Links, name: str) -> dict[str, Any]:
    assets = row.assets or {}
    textures = [
        {"url": links.url(row, key), "name": PurePosixPath(key).name}
        for key in sorted(assets)
        if key.startswith(simready.USD_PREFIX) and PurePosixPath(key).parent.name == "textures"
    ]
    model = assets.get("model")
    return {
        "model": links.file(row, "model", PurePosixPath(model["key"]).name) if model else None,
        "textures": textures,
        "mjcf_package": links.file(row, "mjcf_package", f"{name}-mjcf.zip"),
        "sim_video": links.file(row, "sim_video", "sim.mp4"),
        "sim_gif": links.file(row, "sim_gif", "sim.gif"),
        "sim_log": links.file(row, "sim_log", "sim_log.json"),
    }


def _source(parent: SimReadyAsset | None) -> dict[str, Any] | None:
    if parent is None:
        return None
    return {
        "id": parent.id,
        "status": status(parent),
        "filename": parent.filename,
        "job_type": parent.job_type,
    }


def _child(row: SimReadyAsset, links: Links) -> dict[str, Any]:
    data = summary(row)
    data["parameters"] = row.parameters or {}
    data["output"] = {
        "sim_video": links.file(row, "sim_video", "sim.mp4"),
        "sim_gif": links.file(row, "sim_gif", "sim.gif"),
        "sim_log": links.file(row, "sim_log", "sim_log.json"),
    }
    data["report"] = row.report
    return data

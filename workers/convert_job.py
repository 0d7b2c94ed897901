"""A conversion: the upload converted to its target, validated, round tripped and graded
(health.refine, in a bounded child: :mod:`workers.convert_child`), then the file, its
sidecars, the report (JSON and PDF) and the thumbnail uploaded as the job's outputs.

Output names are the contract with the broker: ``asset`` (the converted file), ``report``
(health_report.json), ``report_pdf``, ``thumbnail``, and ``files/<relative path>`` for each
file the asset refers to beside it; the report document travels as the event's result.
Every file is named ``model.*`` whatever the upload was called: the conversion cache
serves these outputs to any later request for the same bytes, whoever sends them, and
each dialect names the download for its own caller.
"""

from __future__ import annotations

import time
from pathlib import Path

from exchange.limits import AssetLimits
from workers.config import Settings
from workers.convert_child import convert_bounded
from workers.job_events import JobRun
from workers.job_inputs import InputMissing
from workers.jobs import Asset
from workers.specs import ConvertSpec

CONTENT_TYPES = {
    "glb": "model/gltf-binary",
    "usdz": "model/vnd.usdz+zip",
    "usdc": "model/vnd.pixar.usd",
    "usda": "model/vnd.pixar.usd",
    "obj": "application/zip",
    "stl": "model/stl",
    "fbx": "application/octet-stream",  # FBX has no registered media type
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def run_convert(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    (run,) = runs  # conversions are never batched
    spec = run.assignment.spec
    assert isinstance(spec, ConvertSpec), spec.kind
    source = run.assignment.inputs.get("source")
    if source is None:
        raise InputMissing("The uploaded file no longer exists")
    started = time.monotonic()
    path = run.store.download(source.key, workdir / f"source.{source.format}")
    run.timings["download"] = time.monotonic() - started
    converted = convert_bounded(
        path,
        workdir,
        spec.target,
        y_up=spec.y_up,
        root_xform=spec.root_xform,
        limits=AssetLimits.from_settings(settings),
        source_format=source.format,
        blender_python=settings.blender_python,
        memory_bytes=settings.convert_memory_bytes,
        timeout_s=settings.convert_timeout_seconds,
    )
    run.timings.update(converted.timings)
    assets: dict[str, Asset] = {
        "asset": run.upload(converted.output, CONTENT_TYPES[spec.target]),
        "report": run.upload(converted.report, "application/json"),
        "report_pdf": run.upload(converted.report_pdf, "application/pdf"),
    }
    if converted.thumbnail is not None:
        assets["thumbnail"] = run.upload(converted.thumbnail, "image/png")
    for sidecar in converted.sidecars:
        name = sidecar.relative_to(workdir / "out").as_posix()
        kind = CONTENT_TYPES.get(sidecar.suffix.lower(), "application/octet-stream")
        assets[f"files/{name}"] = run.upload(sidecar, kind, name=f"files/{name}")
    run.done(assets, "asset", result=converted.document)

"""A simulation-ready job: the upload built into a SimReady USD and an MJCF package
(:mod:`workers.simready_child`), then every file uploaded as the job's outputs.

Output names are the contract with the broker: ``model`` (the USD), ``usd/<path>`` for
each file beside it (its textures), ``mjcf/<path>`` for each file of the MJCF package,
``mjcf_package`` (that package as one ZIP), ``thumbnail``, ``report`` (the report as JSON)
and, for a non-GLB input, ``intermediate_glb``. The event's result carries the report and
the input's statistics. A generated job (a prompt, images) first gets its model from the
operator's generator (:mod:`workers.generator_client`).
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path, PurePosixPath

from workers.config import Settings
from workers.generator_client import GeneratorFailed, generate_glb
from workers.job_events import JobRun
from workers.job_inputs import InputMissing
from workers.jobs import Asset
from workers.simready_child import build_bounded, preprocess_bounded
from workers.specs import SimReadySpec

CONTENT_TYPES = {
    ".usd": "model/vnd.pixar.usd",
    ".xml": "application/xml",
    ".obj": "model/obj",
    ".stl": "model/stl",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
    ".glb": "model/gltf-binary",
    ".zip": "application/zip",
}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def run_simready(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    """A non-GLB upload is preprocessed first (:func:`_preprocess`): its ``preprocess``
    report, carrying the intermediate GLB, hands the job to the SimReady pipeline, which
    then runs on that GLB as on an uploaded one."""
    (run,) = runs  # never batched
    spec = run.assignment.spec
    assert isinstance(spec, SimReadySpec), spec.kind
    started = time.monotonic()
    preprocessed: dict[str, Asset] = {}
    fixes: list[str] = []
    if spec.generated:
        path, source_format = _generated(run, spec, workdir, settings), "glb"
        run.timings["generate"] = time.monotonic() - started
    else:
        source = run.assignment.inputs.get("source")
        if source is None:
            raise InputMissing("The uploaded file no longer exists")
        path = run.store.download(source.key, workdir / f"source.{source.format}")
        source_format = source.format
        run.timings["download"] = time.monotonic() - started
        if source_format != "glb":
            path, preprocessed, fixes = _preprocess(run, path, workdir, settings)

    def stage(name: str) -> None:
        if not (preprocessed and name == "preprocess"):  # reported once, when it ended
            run.progress(name)  # type: ignore[arg-type]

    built = build_bounded(
        path, workdir, spec, settings, source_format=source_format, on_stage=stage
    )
    run.timings.update(built.timings)
    run.progress("export")
    assets: dict[str, Asset] = dict(preprocessed)
    usd = built.usd_dir / f"{spec.name}.usd"
    assets["model"] = run.upload(usd, content_type(usd), name=f"usd/{usd.name}")
    for folder, prefix in ((built.usd_dir, "usd"), (built.mjcf_dir, "mjcf")):
        for file in sorted(p for p in folder.rglob("*") if p.is_file() and p != usd):
            name = f"{prefix}/{file.relative_to(folder).as_posix()}"
            assets[name] = run.upload(file, content_type(file), name=name)
    package = workdir / f"{spec.name}-mjcf.zip"
    _zip_folder(built.mjcf_dir, package)
    assets["mjcf_package"] = run.upload(package, "application/zip")
    assets["thumbnail"] = run.upload(built.thumbnail, "image/png", name="thumbnail.png")
    report = {**built.report, "fixes": _merged(fixes, built.report.get("fixes", []))}
    stats = {**built.input_stats, "repairs": _merged(fixes, built.input_stats.get("repairs", []))}
    report_file = workdir / "report.json"
    report_file.write_text(json.dumps(report, indent=2))
    assets["report"] = run.upload(report_file, "application/json")
    run.done(assets, "model", result={"report": report, "input_stats": stats})


def _preprocess(
    run: JobRun, source: Path, workdir: Path, settings: Settings
) -> tuple[Path, dict[str, Asset], list[str]]:
    """The upload converted to a clean GLB and stored; reported as the ``preprocess``
    phase, after which the job is queued for the pipeline (the broker's kind hook)."""
    started = time.monotonic()
    done = preprocess_bounded(source, workdir, settings)
    stored = {"intermediate_glb": run.upload(done.glb, "model/gltf-binary")}
    run.timings["preprocess"] = time.monotonic() - started
    run.progress("preprocess", stored)
    return done.glb, stored, done.fixes


def _merged(first: list[str], then: list[str]) -> list[str]:
    return first + [f for f in then if f not in first]


def _generated(run: JobRun, spec: SimReadySpec, workdir: Path, settings: Settings) -> Path:
    """The model the operator's generator makes of the prompt or the images."""
    if settings.generator_url is None:
        raise GeneratorFailed("Generation service unavailable: no generator is configured")
    images = []
    for n in range(spec.images):
        stored = run.assignment.inputs.get(f"image-{n}")
        if stored is None:
            raise InputMissing("The uploaded images no longer exist")
        name = PurePosixPath(stored.key).name.split("-", 1)[-1]  # "<n>-<upload's name>"
        (workdir / f"image-{n}").mkdir()
        images.append(run.store.download(stored.key, workdir / f"image-{n}" / name))
    return generate_glb(
        settings.generator_url,
        workdir / "generated.glb",
        prompt=spec.prompt,
        images=images,
        face_limit=spec.face_limit,
        timeout_s=settings.simready_timeout_seconds,
    )


def _zip_folder(folder: Path, dest: Path) -> None:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(folder).as_posix())

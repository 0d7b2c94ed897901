"""A simulation: the parent's MJCF package dropped into a MuJoCo scene and filmed
(:func:`physics.simulate.simulate`, in a bounded child: MuJoCo and its EGL renderer are
native code), then the video, the GIF and the log uploaded.

Output names are the contract with the broker: ``sim_video`` (MP4), ``sim_gif`` and
``sim_log`` (JSON); the event's result is the verdict (settled, stable, rest height,
worst penetration).
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workers.bounded_child import Stage, child_main, run_bounded
from workers.config import Settings
from workers.job_events import JobRun
from workers.job_inputs import InputMissing
from workers.specs import SimulateSpec


def run_simulate(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    (run,) = runs
    spec = run.assignment.spec
    assert isinstance(spec, SimulateSpec), spec.kind
    package = run.assignment.inputs.get("package")
    if package is None:
        raise InputMissing("The simulation-ready asset's MJCF package no longer exists")
    started = time.monotonic()
    path = run.store.download(package.key, workdir / "package.zip")
    run.timings["download"] = time.monotonic() - started
    folder = workdir / "mjcf"
    with zipfile.ZipFile(path) as archive:  # the broker's own output, not an upload
        archive.extractall(folder)
    xml = next(iter(sorted(folder.glob("*.xml"))), None)
    if xml is None:
        raise InputMissing("The MJCF package holds no .xml")
    r = run_bounded(
        "workers.simulate_job",
        {"xml": str(xml), "scene": spec.scene, "out": str(workdir / "out")},
        memory_bytes=None,  # Mesa's llvmpipe maps far more address space than it uses
        timeout_s=settings.simulate_timeout_seconds,
        doing="simulating the model",
        on_stage=lambda name: run.progress(name),  # type: ignore[arg-type]
    )
    run.timings.update(r["timings"])
    run.progress("encode")
    assets = {
        "sim_video": run.upload(Path(r["video"]), "video/mp4"),
        "sim_gif": run.upload(Path(r["gif"]), "image/gif"),
        "sim_log": run.upload(Path(r["log"]), "application/json"),
    }
    run.done(assets, "sim_video", result=r["verdict"])


def _simulate(job: dict[str, Any], stage: Stage) -> dict[str, Any]:
    from physics.simulate import simulate

    stage("simulate")
    clock = time.monotonic()
    sim = simulate(Path(job["xml"]), job["scene"], Path(job["out"]))
    return {
        "video": str(sim.mp4),
        "gif": str(sim.gif),
        "log": str(sim.log),
        "verdict": asdict(sim.verdict),
        "timings": {"simulate": time.monotonic() - clock},
    }


if __name__ == "__main__":
    child_main(_simulate)

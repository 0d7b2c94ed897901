"""A dataset export: the model's views rendered and packed into one ZIP, the job's bundle.

Its progress is ``poster-processing`` while the views are rendered, with the share of
them done so far (``JobRun.frames``), then ``done``.
"""

from __future__ import annotations

import time
from pathlib import Path

from exchange.limits import AssetLimits
from workers.config import Settings
from workers.job_events import JobRun
from workers.job_inputs import fetch_model, model_input
from workers.local_dataset import build_dataset_zip, dataset_views
from workers.specs import DatasetSpec


def run_dataset(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    (run,) = runs  # datasets are never batched
    spec = run.assignment.spec
    assert isinstance(spec, DatasetSpec), spec.kind
    model = fetch_model(model_input(run.assignment.inputs), run.store, workdir, run.timings)
    run.progress("poster-processing")
    started = time.monotonic()
    out = workdir / "dataset.zip"
    views = dataset_views(spec)
    build_dataset_zip(model, out, views, run.frames, limits=AssetLimits.from_settings(settings))
    run.timings["render"] = time.monotonic() - started
    run.done({"dataset": run.upload(out, "application/zip")}, "dataset", frames=views.views)

"""One assignment, start to finish, whatever its kind: the entry point of every worker.

The spec's kind picks the runner (:data:`RUNNERS`); each runner reports through the
assignment's :class:`~workers.job_events.JobRun` (one per render of a same-model batch).
A failure becomes an ``error`` event for each job it touched that had not finished: the
worker process itself never dies from a bad model.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from workers.config import Settings
from workers.convert_job import run_convert
from workers.dataset_job import run_dataset
from workers.job_events import Emit, JobRun
from workers.jobs import Assignment
from workers.render_job import run_render
from workers.simready_job import run_simready
from workers.simulate_job import run_simulate
from workers.storage import ObjectStore
from workers.views_job import run_views

Runner = Callable[[list[JobRun], Path, Settings], None]
"""Runs an assignment (and its variants) in a scratch directory, reporting each job."""

RUNNERS: dict[str, Runner] = {
    "render": run_render,
    "dataset": run_dataset,
    "convert": run_convert,
    "views": run_views,
    "simready": run_simready,
    "simulate": run_simulate,
}


def run_job(assignment: Assignment, store: ObjectStore, settings: Settings, emit: Emit) -> None:
    """Run one assignment (with the variants that share its frames), reporting through
    ``emit``; every failure becomes an ``error`` event for each job it touched."""
    runs = [JobRun(a, store, emit) for a in (assignment, *assignment.variants)]
    with tempfile.TemporaryDirectory(prefix="job-", dir=settings.tmp_dir) as tmp:
        try:
            RUNNERS[assignment.spec.kind](runs, Path(tmp), settings)
        except Exception as exc:
            for run in runs:
                if not run.finished:
                    run.fail(exc)

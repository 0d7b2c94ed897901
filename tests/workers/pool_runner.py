"""A job runner for executor tests: it holds its slot for the spec's ``length`` seconds.

Named by its dotted path (``tests.workers.pool_runner:run_job``): a spawned worker process
and a Ray actor both have the repository root on their path. It needs no model, no GL and
no encoder, so a test can keep a slot busy for as long as it likes, in either pool.
"""

from __future__ import annotations

import os
import time

from workers.config import Settings
from workers.jobs import Assignment, JobEvent
from workers.pool_worker import Emit
from workers.specs import RenderSpec
from workers.storage import ObjectStore


def run_job(assignment: Assignment, store: ObjectStore, settings: Settings, emit: Emit) -> None:
    """A progress event at once, ``done`` after ``length`` seconds naming this process."""
    assert isinstance(assignment.spec, RenderSpec)

    ids = {"job_id": assignment.job_id, "lease_version": assignment.lease_version}
    emit(JobEvent(**ids, kind="progress", phase="poster-processing"))
    time.sleep(assignment.spec.length)
    emit(JobEvent(**ids, kind="done", message=f"pid {os.getpid()}"))

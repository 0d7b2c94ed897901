"""The inside of one pool slot, the same in a local process and in a Ray actor.

A slot runs one job runner: by default the pipeline's ``run_job``, which executes any kind
of assignment. The runner is named by a dotted path (``module:function``) rather than
passed as a function because it must reach a freshly spawned process or a Ray actor by
name; tests name a runner of their own. Only render slots warm up GL: a CPU slot never
creates a context, so it costs no GPU memory and needs no driver.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import cast

from workers.config import Settings
from workers.jobs import Assignment, JobEvent
from workers.storage import ObjectStore, open_store

log = logging.getLogger("meshfarm.workers")
Emit = Callable[[JobEvent], None]
Runner = Callable[[Assignment, ObjectStore, Settings, Emit], None]
DEFAULT_RUNNER = "workers.pipeline:run_job"


def load_runner(path: str) -> Runner:
    """The function a ``module:function`` path names."""
    module, _, name = path.partition(":")
    return cast(Runner, getattr(importlib.import_module(module), name))


class SlotWorker:
    """The settings, object store and runner that every job of one slot shares."""

    def __init__(self, settings_json: str, runner: str) -> None:
        self.settings = Settings.model_validate_json(settings_json)
        self.store = open_store(self.settings)
        self._runner = load_runner(runner)

    def run(self, assignment: Assignment, emit: Emit) -> None:
        self._runner(assignment, self.store, self.settings, emit)


def warm_up_gl() -> None:
    """Make a render slot's GL context (and the studio lighting) while it is idle; the
    calling thread is the one its jobs must render on."""
    try:
        from renderer import warm_up

        warm_up()
    except Exception:  # no GL here: the first job reports it as its error
        log.exception("worker warm-up failed")

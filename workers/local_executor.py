"""Worker processes on this machine: the embedded default executor.

Each slot is one spawned process holding its own EGL context, running one job at a time;
a process that dies (killed, crashed driver) is replaced and its job reported lost.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.context import SpawnProcess
from typing import Any

from workers.config import Settings
from workers.executor import Executor
from workers.jobs import JobEvent, JobSpec

log = logging.getLogger("meshfarm.workers")
_ctx = mp.get_context("spawn")
PARENT_DIED_EXIT = 75  # EX_TEMPFAIL: the job was not finished, it will be retried elsewhere


def _worker_main(settings_json: str, tasks: Any, events: Any) -> None:
    from workers.pipeline import run_job
    from workers.storage import open_store

    _exit_with_parent()
    settings = Settings.model_validate_json(settings_json)
    store = open_store(settings)
    try:
        from renderer import warm_up

        warm_up()
    except Exception:  # no GL here: the first job reports it as its error
        log.exception("worker warm-up failed")
    while True:
        raw = tasks.get()
        if raw is None:
            return
        run_job(
            JobSpec.model_validate_json(raw),
            store,
            settings,
            lambda event: events.put(event.model_dump_json()),
        )


def _exit_with_parent() -> None:
    """A broker killed with SIGKILL cannot stop its workers, and a render has nobody left to
    report to: a thread waits on the parent's sentinel (a pipe that closes when the parent
    dies) and ends this process at once, mid-job or not. What the job left on disk is the
    janitor's (``broker.janitor``)."""
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(PARENT_DIED_EXIT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass
class _Slot:
    process: SpawnProcess
    tasks: Any
    jobs: set[str] = field(default_factory=set)
    """Jobs of the spec being run (several when a same-model batch shares frames)."""
    jobs_done: int = 0
    last_event: float | None = None


class LocalExecutor(Executor):
    def __init__(self, settings: Settings, workers: int) -> None:
        self._settings_json = settings.model_dump_json()
        self._events: Any = _ctx.Queue()
        self._slots = [self._spawn() for _ in range(workers)]
        self._lost: list[str] = []

    def _spawn(self) -> _Slot:
        tasks: Any = _ctx.Queue()
        process = _ctx.Process(
            target=_worker_main,
            args=(self._settings_json, tasks, self._events),
            daemon=True,
            name="meshfarm-worker",
        )
        process.start()
        return _Slot(process, tasks)

    def pids(self) -> list[int]:
        return [s.process.pid for s in self._slots if s.process.pid is not None]

    def _reap(self) -> None:
        for i, slot in enumerate(self._slots):
            if slot.process.is_alive():
                continue
            log.warning("worker %s exited (%s)", slot.process.pid, slot.process.exitcode)
            self._lost.extend(sorted(slot.jobs))
            self._slots[i] = self._spawn()

    def free_slots(self) -> int:
        self._reap()
        return sum(1 for s in self._slots if not s.jobs)

    def submit(self, spec: JobSpec) -> None:
        slot = next(s for s in self._slots if not s.jobs and s.process.is_alive())
        slot.jobs = set(spec.job_ids)
        slot.tasks.put(spec.model_dump_json())

    def poll(self, timeout: float) -> list[JobEvent]:
        events: list[JobEvent] = []
        try:
            events.append(JobEvent.model_validate_json(self._events.get(timeout=timeout)))
            while True:
                events.append(JobEvent.model_validate_json(self._events.get_nowait()))
        except queue.Empty:
            pass
        for event in events:
            for slot in self._slots:
                if event.job_id not in slot.jobs:
                    continue
                slot.last_event = time.time()
                if event.kind in ("done", "error"):
                    slot.jobs.discard(event.job_id)
                    slot.jobs_done += 1
        return events

    def lost_jobs(self) -> list[str]:
        self._reap()
        lost, self._lost = self._lost, []
        return lost

    def workers(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"local-{i}",
                "node": socket.gethostname(),
                "gpu": None,
                "pid": slot.process.pid,
                "alive": slot.process.is_alive(),
                "currentJob": min(slot.jobs) if slot.jobs else None,
                "jobsDone": slot.jobs_done,
                "lastHeartbeat": slot.last_event,
            }
            for i, slot in enumerate(self._slots)
        ]

    def shutdown(self) -> None:
        for slot in self._slots:
            if slot.process.is_alive():
                slot.tasks.put(None)
        for slot in self._slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()

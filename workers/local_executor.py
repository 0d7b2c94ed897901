"""Worker processes on this machine: the embedded default executor.

Two pools of spawned processes, each running one job at a time: render slots, each holding
its own EGL context (``Settings.workers``), and CPU slots that never touch GL
(``Settings.cpu_workers``). A process that dies (killed, crashed driver) is replaced in its
pool and its job reported lost.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.context import SpawnProcess
from typing import Any

from workers.config import Settings
from workers.executor import Executor
from workers.jobs import Assignment, JobEvent
from workers.pool_worker import DEFAULT_RUNNER, SlotWorker, warm_up_gl
from workers.resources import RESOURCES, Resource

log = logging.getLogger("meshfarm.workers")
_ctx = mp.get_context("spawn")
PARENT_DIED_EXIT = 75  # EX_TEMPFAIL: the job was not finished, it will be retried elsewhere


def _worker_main(
    settings_json: str, runner: str, warm_gl: bool, nice: int, tasks: Any, events: Any
) -> None:
    _exit_with_parent()
    os.nice(nice)
    worker = SlotWorker(settings_json, runner)
    if warm_gl:
        warm_up_gl()
    while True:
        raw = tasks.get()
        if raw is None:
            return
        worker.run(
            Assignment.model_validate_json(raw),
            lambda event: events.put(event.model_dump_json()),
        )


def _exit_with_parent() -> None:
    """A broker killed with SIGKILL cannot stop its workers, and a job has nobody left to
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
    """Jobs of the assignment being run (several when a same-model batch shares frames)."""
    jobs_done: int = 0
    last_event: float | None = None


class LocalExecutor(Executor):
    def __init__(
        self,
        settings: Settings,
        workers: int | None = None,
        *,
        cpu_workers: int | None = None,
        runner: str = DEFAULT_RUNNER,
    ) -> None:
        """``workers`` render processes and ``cpu_workers`` CPU processes (default: the
        settings of the same names); ``runner`` is what each runs per job
        (:mod:`workers.pool_worker`)."""
        self._settings_json = settings.model_dump_json()
        self._nice = settings.worker_nice
        self._runner = runner
        self._events: Any = _ctx.Queue()
        sizes: dict[Resource, int] = {
            "gpu": settings.workers if workers is None else workers,
            "cpu": settings.cpu_workers if cpu_workers is None else cpu_workers,
        }
        self._pools = {r: [self._spawn(r) for _ in range(sizes[r])] for r in RESOURCES}
        self._lost: list[str] = []

    def _spawn(self, resource: Resource) -> _Slot:
        tasks: Any = _ctx.Queue()
        process = _ctx.Process(
            target=_worker_main,
            args=(
                self._settings_json,
                self._runner,
                resource == "gpu",
                self._nice,
                tasks,
                self._events,
            ),
            daemon=True,
            name=f"meshfarm-{resource}-worker",
        )
        process.start()
        return _Slot(process, tasks)

    def _slots(self) -> Iterator[_Slot]:
        for slots in self._pools.values():
            yield from slots

    def pids(self) -> list[int]:
        return [s.process.pid for s in self._slots() if s.process.pid is not None]

    def _reap(self) -> None:
        for resource, slots in self._pools.items():
            for i, slot in enumerate(slots):
                if slot.process.is_alive():
                    continue
                log.warning(
                    "%s worker %s exited (%s)", resource, slot.process.pid, slot.process.exitcode
                )
                self._lost.extend(sorted(slot.jobs))
                slots[i] = self._spawn(resource)

    def free_slots(self, resource: Resource = "gpu") -> int:
        self._reap()
        return sum(1 for s in self._pools[resource] if not s.jobs)

    def submit(self, assignment: Assignment) -> None:
        pool = self._pools[assignment.resource]
        slot = next(s for s in pool if not s.jobs and s.process.is_alive())
        slot.jobs = set(assignment.job_ids)
        slot.tasks.put(assignment.model_dump_json())

    def poll(self, timeout: float) -> list[JobEvent]:
        events: list[JobEvent] = []
        try:
            events.append(JobEvent.model_validate_json(self._events.get(timeout=timeout)))
            while True:
                events.append(JobEvent.model_validate_json(self._events.get_nowait()))
        except queue.Empty:
            pass
        for event in events:
            for slot in self._slots():
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
                "id": f"local-{resource}-{i}",
                "pool": resource,
                "node": socket.gethostname(),
                "gpu": None,
                "pid": slot.process.pid,
                "alive": slot.process.is_alive(),
                "currentJob": min(slot.jobs) if slot.jobs else None,
                "jobsDone": slot.jobs_done,
                "lastHeartbeat": slot.last_event,
            }
            for resource, slots in self._pools.items()
            for i, slot in enumerate(slots)
        ]

    def shutdown(self) -> None:
        for slot in self._slots():
            if slot.process.is_alive():
                slot.tasks.put(None)
        for slot in self._slots():
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()

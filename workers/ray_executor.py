"""The worker fleet on Ray: long-lived actors in two pools, render and CPU.

Render actors: one per GPU of the cluster (``num_gpus=1``), or ``Settings.workers`` of them
where it has none. CPU actors: ``Settings.cpu_workers``, one CPU each and no GPU, for jobs
that never touch GL. Each actor holds its process for its lifetime (a render actor its EGL
context) and runs one job at a time, uploading its outputs to the object store itself: no
video bytes travel back through Ray or the broker, only small progress events, which the
dispatcher drains by polling (streaming generators do not survive Ray Client).
``ray.util.ActorPool`` is not used: it hands dead actors back out (ray issue 50313); these
pools track their actors themselves, and Ray restarts a dead one (``max_restarts=-1``)
while its job is reported lost.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from workers.config import Settings
from workers.executor import Executor
from workers.jobs import Assignment, JobEvent
from workers.pool_worker import DEFAULT_RUNNER, SlotWorker, warm_up_gl
from workers.resources import RESOURCES, Resource

log = logging.getLogger("meshfarm.ray")
NAMESPACE = "meshfarm"


class PoolWorker:
    """The actor body. Threaded so ``drain``/``info`` answer during ``run``; the jobs
    themselves all run on one dedicated thread, because a render actor's EGL context is
    current on the thread that made it, and one job at a time even when a re-attached
    broker submits while an older attempt is still finishing."""

    def __init__(self, settings_json: str, runner: str, warm_gl: bool) -> None:
        self.worker = SlotWorker(settings_json, runner)
        self.egl_device: int | None = None
        self.job_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        gpus = ray.get_gpu_ids()
        if gpus:
            from renderer.gl_context import use_cuda_device

            # Ray set CUDA_VISIBLE_DEVICES; EGL needs the matching device picked explicitly.
            self.egl_device = use_cuda_device(int(gpus[0]))
        if warm_gl:
            self.job_thread.submit(warm_up_gl)
        self.events: list[str] = []
        self.lock = threading.Lock()
        self.jobs_done = 0
        self.current: str | None = None
        self.heartbeat = time.time()

    def run(self, assignment_json: str) -> None:
        assignment = Assignment.model_validate_json(assignment_json)
        self.job_thread.submit(self._run, assignment).result()

    def _run(self, assignment: Assignment) -> None:
        self.current = assignment.job_id

        def emit(event: JobEvent) -> None:
            with self.lock:
                self.events.append(event.model_dump_json())

        try:
            self.worker.run(assignment, emit)
        finally:
            self.current = None
            self.jobs_done += 1

    def drain(self) -> list[str]:
        self.heartbeat = time.time()
        with self.lock:
            events, self.events = self.events, []
        return events

    def info(self) -> dict[str, Any]:
        ctx = ray.get_runtime_context()
        gpus = [str(g) for g in ray.get_gpu_ids()]
        return {
            "id": ctx.get_actor_id(),
            "node": ctx.get_node_id(),
            "gpu": ",".join(gpus) or None,
            "pid": os.getpid(),
            "alive": True,
            "eglDevice": self.egl_device,
            "currentJob": self.current,
            "jobsDone": self.jobs_done,
            "lastHeartbeat": self.heartbeat,
        }


@dataclass
class _Slot:
    actor: Any
    jobs: set[str] = field(default_factory=set)
    run_ref: Any = None


class RayExecutor(Executor):
    def __init__(
        self,
        settings: Settings,
        *,
        address: str | None = None,
        workers: int | None = None,
        cpu_workers: int | None = None,
        use_gpus: bool | None = None,
        pool: str = "meshfarm",
        runner: str = DEFAULT_RUNNER,
    ) -> None:
        """One render actor per GPU of the cluster; ``workers`` (default
        ``Settings.workers``) render actors where it has none; ``cpu_workers`` (default
        ``Settings.cpu_workers``) CPU actors either way.

        ``use_gpus=False`` forces GPU-less render actors even on a cluster with GPUs
        (tests, benches). Actors are named ``{pool}-{gpu|cpu}-worker-{i}`` after their
        pool, so that a restarted broker re-attaches to the same ones. ``runner`` is what
        each actor runs per job (:mod:`workers.pool_worker`).
        """
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        gpus = int(ray.cluster_resources().get("GPU", 0)) if use_gpus is not False else 0
        sizes: dict[Resource, int] = {
            "gpu": gpus or (settings.workers if workers is None else workers),
            "cpu": settings.cpu_workers if cpu_workers is None else cpu_workers,
        }
        settings_json = settings.model_dump_json()
        self._pools: dict[Resource, list[_Slot]] = {
            resource: [
                _Slot(
                    ray.remote(PoolWorker)
                    .options(
                        name=f"{pool}-{resource}-worker-{i}",
                        **_actor_options(resource == "gpu" and gpus > 0),
                    )
                    .remote(settings_json, runner, resource == "gpu")
                )
                for i in range(sizes[resource])
            ]
            for resource in RESOURCES
        }
        self._lost: list[str] = []
        self._draining = False
        self._adopt_running_jobs()

    def _slots(self) -> Iterator[_Slot]:
        for slots in self._pools.values():
            yield from slots

    def _adopt_running_jobs(self) -> None:
        """After a broker restart the named actors may still be busy with an old attempt:
        keep them marked busy until they finish (its lease expired; the job runs again)."""
        for slot in self._slots():
            try:
                current = ray.get(slot.actor.info.remote(), timeout=30).get("currentJob")
            except (RayActorError, GetTimeoutError):
                continue
            if current:
                slot.jobs = {current}

    def free_slots(self, resource: Resource = "gpu") -> int:
        if self._draining:
            return 0
        return sum(1 for s in self._pools[resource] if not s.jobs)

    def drain_mode(self, draining: bool = True) -> None:
        """Graceful drain: running jobs finish, no new ones are taken."""
        self._draining = draining

    def submit(self, assignment: Assignment) -> None:
        slot = next(s for s in self._pools[assignment.resource] if not s.jobs)
        slot.jobs = set(assignment.job_ids)
        slot.run_ref = slot.actor.run.remote(assignment.model_dump_json())

    def poll(self, timeout: float) -> list[JobEvent]:
        busy = [s for s in self._slots() if s.run_ref is not None]
        if busy:
            ray.wait([s.run_ref for s in busy], num_returns=1, timeout=timeout)
        else:
            time.sleep(timeout)
        events: list[JobEvent] = []
        for slot in self._slots():
            if slot.jobs and slot.run_ref is None:  # adopted from before a restart
                events += self._drain(slot)
                if self._idle(slot):
                    slot.jobs = set()
        for slot in busy:
            finished, _ = ray.wait([slot.run_ref], timeout=0)
            events += self._drain(slot)  # after the check: a finished job's last events are in
            if not finished:
                continue
            ended = {e.job_id for e in events if e.kind in ("done", "error")}
            try:
                ray.get(slot.run_ref)
            except (RayActorError, RayTaskError) as exc:
                log.warning("actor died during jobs %s: %s", sorted(slot.jobs), exc)
                self._lost.extend(sorted(slot.jobs - ended))
            slot.jobs = set()
            slot.run_ref = None
        return events

    def _idle(self, slot: _Slot) -> bool:
        try:
            return ray.get(slot.actor.info.remote(), timeout=10).get("currentJob") is None
        except (RayActorError, GetTimeoutError):
            return False

    def _drain(self, slot: _Slot) -> list[JobEvent]:
        try:
            raw = ray.get(slot.actor.drain.remote(), timeout=10)
        except (RayActorError, GetTimeoutError):
            return []
        return [JobEvent.model_validate_json(r) for r in raw]

    def lost_jobs(self) -> list[str]:
        lost, self._lost = self._lost, []
        return lost

    def workers(self) -> list[dict[str, Any]]:
        infos = []
        for resource, slots in self._pools.items():
            for slot in slots:
                try:
                    info = ray.get(slot.actor.info.remote(), timeout=5)
                except (RayActorError, GetTimeoutError):
                    info = {"alive": False, "currentJob": min(slot.jobs, default=None)}
                infos.append({**info, "pool": resource})
        return infos

    def shutdown(self) -> None:
        for slot in self._slots():
            ray.kill(slot.actor, no_restart=True)

    def detach(self) -> None:
        """Leave the actors running (a broker restart re-attaches to them by name)."""
        self._pools = {r: [] for r in RESOURCES}


def _actor_options(on_gpu: bool) -> dict[str, Any]:
    """A slot is one CPU, and one GPU for render actors on a cluster that has GPUs."""
    options: dict[str, Any] = {
        "max_restarts": -1,
        "max_task_retries": 0,
        "max_concurrency": 4,
        "num_cpus": 1,
        "namespace": NAMESPACE,
        "lifetime": "detached",
        "get_if_exists": True,
    }
    if on_gpu:
        options["num_gpus"] = 1
    return options

"""Each executor keeps a render pool and a CPU pool apart: a long job in one never holds
up the other, on local processes and on Ray actors alike."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from workers.config import Settings
from workers.executor import Executor
from workers.jobs import Assignment, JobEvent
from workers.resources import RESOURCES, Resource
from workers.specs import RenderSpec

RUNNER = "tests.workers.pool_runner:run_job"
LONG = 600.0


class CpuAssignment(Assignment):
    """Stands in for a CPU job kind (there is none yet): the same assignment on the wire,
    routed to the CPU pool."""

    @property
    def resource(self) -> Resource:
        return "cpu"


def _assignment(job_id: str, seconds: float, resource: Resource) -> Assignment:
    kind = CpuAssignment if resource == "cpu" else Assignment
    return kind(
        job_id=job_id,
        attempt=1,
        lease_version=1,
        output_prefix=f"renders/{job_id}/attempt-1",
        spec=RenderSpec(model_id="m", length=seconds),
    )


def _local(settings: Settings) -> Executor:
    from workers.local_executor import LocalExecutor

    return LocalExecutor(settings, 1, cpu_workers=1, runner=RUNNER)


def _ray(settings: Settings) -> Executor:
    from workers.ray_executor import RayExecutor

    return RayExecutor(
        settings, workers=1, cpu_workers=1, pool=f"p{uuid.uuid4().hex[:8]}", runner=RUNNER
    )


@pytest.fixture(
    params=[pytest.param(_local, id="local"), pytest.param(_ray, id="ray", marks=pytest.mark.slow)]
)
def executor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Executor]:
    if request.param is _ray:
        request.getfixturevalue("ray_cluster")
    executor = request.param(Settings(data_dir=tmp_path / "data", _env_file=None))
    yield executor
    executor.shutdown()


def _poll_until(
    executor: Executor, seen: list[JobEvent], done: Callable[[], bool], timeout: float = 180
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, [e.model_dump() for e in seen]
        seen += executor.poll(0.2)


def _loaded_egl(pid: int) -> bool:
    return "libEGL" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize("busy", RESOURCES)
def test_a_long_job_in_one_pool_never_holds_up_the_other(
    executor: Executor, busy: Resource
) -> None:
    other: Resource = "cpu" if busy == "gpu" else "gpu"
    assert executor.free_slots("gpu") == executor.free_slots("cpu") == 1
    seen: list[JobEvent] = []
    executor.submit(_assignment("long", LONG, busy))
    _poll_until(executor, seen, lambda: any(e.job_id == "long" for e in seen))
    assert (executor.free_slots(busy), executor.free_slots(other)) == (0, 1)

    executor.submit(_assignment("short", 0.5, other))
    _poll_until(executor, seen, lambda: any(e.job_id == "short" and e.kind == "done" for e in seen))
    assert not any(e.job_id == "long" and e.kind == "done" for e in seen)
    assert (executor.free_slots(busy), executor.free_slots(other)) == (0, 1)
    slots = {w["pool"]: w for w in executor.workers()}
    assert sorted(slots) == ["cpu", "gpu"]
    assert slots[busy]["currentJob"] == "long" and slots[other]["currentJob"] is None
    short_done = next(e for e in seen if e.job_id == "short" and e.kind == "done")
    assert short_done.message == f"pid {slots[other]['pid']}"  # ran in the other pool's worker
    assert slots["gpu"]["pid"] != slots["cpu"]["pid"]
    # Both have run a job by now: the render worker has made its GL context, the CPU one none.
    assert _loaded_egl(slots["gpu"]["pid"]) and not _loaded_egl(slots["cpu"]["pid"])

    # The long job's worker dies: that job is lost, and its pool has a working slot again.
    os.kill(slots[busy]["pid"], signal.SIGKILL)
    lost: list[str] = []

    def reported() -> bool:
        lost.extend(executor.lost_jobs())
        return "long" in lost and executor.free_slots(busy) == 1

    _poll_until(executor, seen, reported)
    assert lost == ["long"]
    executor.submit(_assignment("again", 0.1, busy))
    _poll_until(executor, seen, lambda: any(e.job_id == "again" and e.kind == "done" for e in seen))


def test_local_workers_run_below_the_brokers_priority(tmp_path: Path) -> None:
    """A render on the broker's cores must not double its API latency: the local workers
    run ``worker_nice`` steps below the process that started them (bench/broker_load_bench.py)."""
    from workers.local_executor import LocalExecutor

    settings = Settings(data_dir=tmp_path / "data", worker_nice=7, _env_file=None)
    executor = LocalExecutor(settings, 1, cpu_workers=1, runner=RUNNER)
    try:
        seen: list[JobEvent] = []
        jobs: tuple[tuple[str, Resource], ...] = (("render", "gpu"), ("convert", "cpu"))
        for job_id, resource in jobs:
            executor.submit(_assignment(job_id, 0.1, resource))
        _poll_until(executor, seen, lambda: sum(e.kind == "done" for e in seen) == 2)
        nices = {w["pool"]: psutil.Process(w["pid"]).nice() for w in executor.workers()}
        assert nices == {"gpu": os.nice(0) + 7, "cpu": os.nice(0) + 7}
    finally:
        executor.shutdown()

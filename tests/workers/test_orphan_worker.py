"""A worker whose broker was killed (SIGKILL: nothing could stop it) stops within 5 s, even
in the middle of a long render."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
DUCK = ROOT / "tests" / "assets" / "Duck.glb"

# The "broker": one local worker, one 30 s video (minutes of work on llvmpipe); it says the
# worker's pid once the worker is rendering, then waits to be killed.
BROKER = """
import sys
from pathlib import Path
from workers.config import Settings
from workers.jobs import Assignment, StoredInput
from workers.local_executor import LocalExecutor
from workers.specs import RenderSpec
from workers.storage.local import LocalStore

data = Path(sys.argv[1])
settings = Settings(data_dir=data, _env_file=None)
LocalStore(data / "objects").put_file("models/m/original.glb", Path(sys.argv[2]))
executor = LocalExecutor(settings, 1)
executor.submit(Assignment(
    job_id="j", attempt=1, lease_version=1, output_prefix="renders/r/attempt-1",
    spec=RenderSpec(model_id="m", tier="share", length=30),
    inputs={"model": StoredInput(key="models/m/original.glb", format="glb")},
))
renderer = next(w["pid"] for w in executor.workers() if w["pool"] == "gpu")
while True:
    for event in executor.poll(0.5):
        if event.kind == "progress" and event.phase == "poster-processing":
            print("rendering", renderer, flush=True)
        elif event.kind in ("done", "error"):
            print("finished", event.kind, event.message, flush=True)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_a_worker_stops_within_5_s_of_its_broker_being_killed(tmp_path: Path) -> None:
    broker = subprocess.Popen(
        [sys.executable, "-c", BROKER, str(tmp_path / "data"), str(DUCK)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = None
    try:
        assert broker.stdout is not None
        line = broker.stdout.readline()  # blocks until the render started (or the broker died)
        assert line.startswith("rendering"), line
        worker = int(line.split()[1])
        time.sleep(1.0)  # well into the frames
        assert not _gone(worker)
        os.kill(broker.pid, signal.SIGKILL)
        broker.wait(5)
        killed = time.monotonic()
        while not _gone(worker) and time.monotonic() - killed < 15:
            time.sleep(0.05)
        lingered = time.monotonic() - killed
        assert _gone(worker), "the worker still renders 15 s after its broker was killed"
        assert lingered < 5.0, lingered
    finally:
        if broker.poll() is None:
            broker.kill()
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)

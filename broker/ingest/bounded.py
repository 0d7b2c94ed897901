"""Heavy parsing in a child process with a memory ceiling and a wall-clock deadline.

The API process must not build meshes: trimesh's OBJ reader holds the whole text and its
arrays in memory and holds the GIL while it does (one 146 KB ZIP cost the broker 2 GB and
18 s; four at once stalled /v1/health for 6 s). A child runs ``python -m <module>`` with
its job as JSON on stdin, caps its own address space (RLIMIT_AS) before reading anything
else, and answers one JSON line. The parent waits in its worker thread — never on the
event loop — for at most ``timeout`` seconds, and at most ``concurrency`` children run at
once. Whatever goes wrong in the child is a :class:`ModelInvalid` saying so, never a 500.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from broker.ingest.errors import ModelInvalid, ZipTooLarge

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()
# One thread per library: numbers of threads multiply the address space a child reserves.
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}


def _slot(concurrency: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(concurrency, threading.BoundedSemaphore(concurrency))


def run_bounded(
    module: str,
    job: dict[str, Any],
    *,
    memory_bytes: int,
    timeout: float,
    concurrency: int,
    what: str,
) -> dict[str, Any]:
    """Run ``module``'s :func:`child_main` on ``job``; its result, or ModelInvalid."""
    # CPU time inherited by whatever the child starts (Blender, for an FBX), which a kill
    # of the child at the deadline does not reach: it ends after the time all cores
    # could have spent by then. The child itself never comes near it.
    cpu_seconds = math.ceil(timeout * (os.cpu_count() or 1)) + 1
    payload = json.dumps({"memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds, "job": job})
    with _slot(concurrency):
        try:
            proc = subprocess.run(
                [sys.executable, "-m", module],
                input=payload,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, **CHILD_ENV},
            )
        except subprocess.TimeoutExpired:
            raise ModelInvalid(f"{what} took longer than {timeout:g} s") from None
    lines = proc.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if proc.returncode == 0 and lines else {}
    if "error" in answer:
        error = ZipTooLarge if answer.get("too_large") else ModelInvalid
        raise error(answer["error"])
    if "result" not in answer:
        raise ModelInvalid(
            f"{what} stopped before it finished (it may use {memory_bytes // 2**20} MB of memory)"
        )
    result: dict[str, Any] = answer["result"]
    return result


def child_main(work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The child's side: limit memory, run ``work``, print one JSON answer."""
    request = json.loads(sys.stdin.read())
    limit = int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(request["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        answer: dict[str, Any] = {"result": work(request["job"])}
    except ZipTooLarge as exc:
        answer = {"error": str(exc), "too_large": True}
    except ModelInvalid as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": f"the model needs more than the {limit // 2**20} MB it may use"}
    print(json.dumps(answer), flush=True)

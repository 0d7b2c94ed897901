"""Work in a child process with a memory ceiling and a deadline, so a hostile or merely
huge file fails its job instead of taking the worker down (the kernel's OOM killer) or
holding its slot for ever.

The parent runs ``python -m <module>`` with the job as JSON on stdin; the child caps its
address space and CPU time (RLIMIT_AS, RLIMIT_CPU — inherited by whatever it starts),
does the work and answers one JSON line; before that it may print ``{"stage": name}``
lines, which reach the parent's ``on_stage`` as they come (a job's progress). A timeout,
a memory ceiling hit, or a child that dies is an :class:`~exchange.errors.AssetInvalid`
for the sender; any other failure in the child is a :class:`ChildFailed` (an internal
error, logged by the worker).
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

from exchange.errors import AssetInvalid

CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
Stage = Callable[[str], None]


class ChildFailed(RuntimeError):
    """The child failed in a way that is not the upload's fault (named by its type)."""


def run_bounded(
    module: str,
    job: dict[str, Any],
    *,
    memory_bytes: int | None,
    timeout_s: float,
    doing: str,
    on_stage: Stage | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The child's result; ``doing`` names the work in messages ("converting the file")."""
    job = {
        **job,
        "memory_bytes": memory_bytes,
        "cpu_seconds": math.ceil(timeout_s * (os.cpu_count() or 1)) + 1,
    }
    child = subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **CHILD_ENV, **(env or {})},
    )
    timer = threading.Timer(timeout_s, child.kill)
    timer.start()
    answer: dict[str, Any] = {}
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(job))
        child.stdin.close()
        for line in child.stdout:
            message = _parsed(line)
            if "stage" in message and on_stage is not None:
                on_stage(str(message["stage"]))
            elif "stage" not in message and message:
                answer = message
        child.wait()
    finally:
        timed_out = not timer.is_alive() and child.returncode != 0
        timer.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    if timed_out:
        raise AssetInvalid(f"{doing} took longer than {timeout_s:g} s")
    if "error" in answer:
        raise AssetInvalid(answer["error"])
    if "internal" in answer:
        raise ChildFailed(answer["internal"])
    if "result" not in answer:
        limit = f" (it may use {memory_bytes // 2**20} MB of memory)" if memory_bytes else ""
        raise AssetInvalid(f"{doing} stopped before it finished{limit}")
    result: dict[str, Any] = answer["result"]
    return result


def _parsed(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}  # a library printing to stdout is not an answer
    return value if isinstance(value, dict) else {}


def child_main(work: Callable[[dict[str, Any], Stage], dict[str, Any]]) -> None:
    """The child's side: read the job, cap memory and CPU, run ``work``, answer once."""
    job = json.loads(sys.stdin.read())
    limit = job["memory_bytes"]
    if limit is not None:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    cpu = int(job["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    out = sys.stdout
    sys.stdout = sys.stderr  # libraries that print must not garble the answer

    def stage(name: str) -> None:
        print(json.dumps({"stage": name}), file=out, flush=True)

    try:
        answer: dict[str, Any] = {"result": work(job, stage)}
    except AssetInvalid as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": f"the file needs more than the {int(limit) // 2**20} MB it may use"}
    except Exception as exc:  # not the upload's fault: the worker logs it as internal
        answer = {"internal": type(exc).__name__}
    print(json.dumps(answer), file=out, flush=True)

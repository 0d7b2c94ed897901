"""One conversion (:func:`health.refine.refine`) in a child process with a memory ceiling
and a deadline, so a hostile or merely huge upload fails its job instead of taking the
worker down (the kernel's OOM killer) or holding its slot for ever.

The parent runs ``python -m workers.convert_child`` with the job as JSON on stdin; the
child caps its address space and CPU time (RLIMIT_AS, RLIMIT_CPU — inherited by the
Blender it may start for FBX), converts, writes the report's JSON, PDF and thumbnail beside
the output and answers one JSON line. A timeout, a memory ceiling hit, or a child that
dies is an :class:`~exchange.errors.AssetInvalid` for the sender; any other failure in
the child is a :class:`ChildFailed` (an internal error, logged by the worker).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from exchange.errors import AssetInvalid
from exchange.limits import AssetLimits

CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}


class ChildFailed(RuntimeError):
    """The child failed in a way that is not the upload's fault (named by its type)."""


@dataclass(frozen=True)
class Converted:
    """What the child wrote: the output, its sidecars, the report's files and document."""

    output: Path
    sidecars: list[Path]
    report: Path
    report_pdf: Path
    thumbnail: Path | None
    document: dict[str, Any]
    timings: dict[str, float]


def convert_bounded(
    source: Path,
    workdir: Path,
    target: str,
    *,
    y_up: bool,
    root_xform: bool,
    limits: AssetLimits,
    source_format: str,
    blender_python: Path | None,
    memory_bytes: int,
    timeout_s: float,
) -> Converted:
    """Convert ``source`` into ``workdir/out`` in a bounded child; see the module."""
    job = {
        "source": str(source),
        "workdir": str(workdir),
        "target": target,
        "y_up": y_up,
        "root_xform": root_xform,
        "limits": asdict(limits),
        "source_format": source_format,
        "blender_python": str(blender_python) if blender_python else None,
        "memory_bytes": memory_bytes,
        "cpu_seconds": math.ceil(timeout_s * (os.cpu_count() or 1)) + 1,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "workers.convert_child"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env={**os.environ, **CHILD_ENV},
        )
    except subprocess.TimeoutExpired:
        raise AssetInvalid(f"converting the file took longer than {timeout_s:g} s") from None
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    if "error" in answer:
        raise AssetInvalid(answer["error"])
    if "internal" in answer:
        raise ChildFailed(answer["internal"])
    if "result" not in answer:
        raise AssetInvalid(
            f"the conversion stopped before it finished (it may use {memory_bytes // 2**20} MB "
            "of memory)"
        )
    r = answer["result"]
    return Converted(
        output=Path(r["output"]),
        sidecars=[Path(p) for p in r["sidecars"]],
        report=Path(r["report"]),
        report_pdf=Path(r["report_pdf"]),
        thumbnail=Path(r["thumbnail"]) if r["thumbnail"] else None,
        document=r["document"],
        timings=r["timings"],
    )


def _convert(job: dict[str, Any]) -> dict[str, Any]:
    from health.refine import refine

    workdir = Path(job["workdir"])
    refined = refine(
        Path(job["source"]),
        workdir / "out",
        job["target"],
        y_up=job["y_up"],
        root_xform=job["root_xform"],
        limits=AssetLimits(**job["limits"]),
        source_format=job["source_format"],
        blender_python=Path(job["blender_python"]) if job["blender_python"] else None,
    )
    report, pdf = workdir / "health_report.json", workdir / "health_report.pdf"
    report.write_text(json.dumps(refined.document, indent=2))
    pdf.write_bytes(refined.pdf)
    thumbnail = None
    if refined.thumbnail is not None:
        thumbnail = workdir / "thumbnail.png"
        thumbnail.write_bytes(refined.thumbnail)
    return {
        "output": str(refined.output),
        "sidecars": [str(p) for p in refined.sidecars],
        "report": str(report),
        "report_pdf": str(pdf),
        "thumbnail": str(thumbnail) if thumbnail else None,
        "document": refined.document,
        "timings": refined.timings,
    }


def main() -> None:
    job = json.loads(sys.stdin.read())
    limit = int(job["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(job["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        answer: dict[str, Any] = {"result": _convert(job)}
    except AssetInvalid as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": f"the file needs more than the {limit // 2**20} MB it may use"}
    except Exception as exc:  # not the upload's fault: the worker logs it as internal
        answer = {"internal": type(exc).__name__}
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()

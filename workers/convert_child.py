"""One conversion (:func:`health.refine.refine`) in a bounded child
(:mod:`workers.bounded_child`): a memory ceiling and a deadline, so a hostile or merely
huge upload fails its job instead of taking the worker down."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from exchange.limits import AssetLimits
from workers.bounded_child import Stage, child_main, run_bounded


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
    }
    r = run_bounded(
        "workers.convert_child",
        job,
        memory_bytes=memory_bytes,
        timeout_s=timeout_s,
        doing="converting the file",
    )
    return Converted(
        output=Path(r["output"]),
        sidecars=[Path(p) for p in r["sidecars"]],
        report=Path(r["report"]),
        report_pdf=Path(r["report_pdf"]),
        thumbnail=Path(r["thumbnail"]) if r["thumbnail"] else None,
        document=r["document"],
        timings=r["timings"],
    )


def _convert(job: dict[str, Any], stage: Stage) -> dict[str, Any]:
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


if __name__ == "__main__":
    child_main(_convert)

"""One conversion, start to finish: read, repair, normalise, write, validate, round trip,
grade. What a convert job runs; files in, files out.

Each output is checked in the same run by its standard's own checker (GLB: the Khronos
glTF-Validator; USDZ: OpenUSD's ARKit rules; every USD: UsdValidation; FBX, which has no
official checker: ufbx, a reader independent of Blender that wrote it), then re-read and
compared with what was written: a conversion that loses a mesh or a texture fails a check
of the report instead of passing silently. Targets that cannot carry everything (STL, OBJ, FBX) are
compared on what they can hold, and the report says what their format drops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset import Asset, compare, normalised, read_asset, write_asset
from exchange.asset.carried import carried
from exchange.asset.compare import RoundTrip
from exchange.formats import file_name
from exchange.limits import AssetLimits
from health.report import HealthReport, grade, repair, report_document, report_pdf
from health.report import thumbnail_png as render_thumbnail
from health.validators import check_arkit, check_fbx, validate_gltf, validate_usd

Validator = Callable[[Path], object]
VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "glb": (validate_gltf,),
    "usdz": (check_arkit, validate_usd),
    "usdc": (validate_usd,),
    "usda": (validate_usd,),
    "fbx": (check_fbx,),
}


@dataclass
class Refined:
    """What a conversion produced: the file, the files beside it, the graded report."""

    output: Path
    sidecars: list[Path]
    """Files the output refers to by a relative path (a usda's textures), beside it."""
    report: HealthReport
    verdicts: list[object]
    """The output's validators' verdicts, as they gave them (also graded in the report)."""
    round_trip: RoundTrip
    document: dict[str, Any]
    pdf: bytes
    thumbnail: bytes | None
    timings: dict[str, float] = field(default_factory=dict)


def _transform_fixes(source: Asset, *, y_up: bool, root_xform: bool) -> list[str]:
    """The options' fixes that change something for this asset (only those are reported)."""
    fixes = []
    if y_up and (source.up_axis != "Y" or source.meters_per_unit != 1.0):
        fixes.append("y_up_applied")
    if root_xform and any(not np.allclose(source.nodes[r].matrix, np.eye(4)) for r in source.roots):
        fixes.append("root_xform_applied")
    return fixes


def _round_trip(
    written: Asset, output: Path, target: str, limits: AssetLimits, blender_python: Path | None
) -> RoundTrip:
    """The output re-read (in Y-up metres, as ``written`` is: an STL is stored Z-up) against
    what its format can hold of ``written``; what the format drops is listed apart."""
    kept, dropped = carried(written, target)
    reread = normalised(
        read_asset(output, limits, blender_python=blender_python), y_up=True, root_xform=False
    )
    trip = compare(kept, reread)
    return RoundTrip(trip.before, trip.after, trip.problems, dropped)


def refine(
    source: Path,
    out_dir: Path,
    target: str,
    *,
    name: str = "model",
    y_up: bool = True,
    root_xform: bool = True,
    limits: AssetLimits | None = None,
    source_format: str | None = None,
    thumbnail: bool = True,
    blender_python: Path | None = None,
) -> Refined:
    """Convert ``source`` into ``out_dir/<name>.<target>`` (OBJ: ``<name>.zip``) and grade it.

    Raises :class:`exchange.errors.AssetInvalid` for a file that cannot be converted; a
    validator that cannot run (Node missing) raises its own error, never a false verdict.
    """
    limits = limits or AssetLimits()
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(stage: str) -> None:
        nonlocal clock
        timings[stage] = time.monotonic() - clock
        clock = time.monotonic()

    asset = read_asset(source, limits, blender_python=blender_python)
    lap("read")
    repaired, fixes = repair(asset)
    fixes += _transform_fixes(repaired, y_up=y_up, root_xform=root_xform)
    written = normalised(repaired, y_up=y_up, root_xform=root_xform)
    out_dir.mkdir(parents=True, exist_ok=True)
    before = set(out_dir.rglob("*"))
    output = out_dir / file_name(name, target)
    write_asset(written, output, target, blender_python=blender_python)
    sidecars = sorted(p for p in set(out_dir.rglob("*")) - before if p.is_file() and p != output)
    lap("write")
    verdicts = [check(output) for check in VALIDATORS.get(target, ())]
    lap("validate")
    round_trip = _round_trip(written, output, target, limits, blender_python)
    lap("round_trip")
    report = grade(
        written,
        fixes=fixes,
        verdicts=verdicts,
        round_trip=round_trip,
        target=target,
        source_format=source_format or source.suffix.lower().lstrip("."),
    )
    lap("grade")
    picture = render_thumbnail(written) if thumbnail else None
    lap("thumbnail")
    pdf = report_pdf(report, picture, title=output.name)
    lap("pdf")
    document = report_document(report)
    return Refined(output, sidecars, report, verdicts, round_trip, document, pdf, picture, timings)

"""The checks of the asset itself: geometry, materials and scene (docs/health.md lists
each id with its version and weight; a change in what one tests bumps its version)."""

from __future__ import annotations

import numpy as np

from exchange.asset.model import Asset
from health.report.check import Check, check
from health.report.geometry import GeometryStats, degenerate_mask, open_edges
from health.report.repair import normals_valid
from health.report.textures import texture_sizes

REALTIME_TRIANGLES = 100_000
"""A real-time asset's budget (AR Quick Look's and mobile web's recommendation)."""
HEAVY_TRIANGLES = 1_000_000
MAX_TEXTURE = 4096
MAX_TEXTURES = 16
SCALE_M = (0.01, 100.0)
AXES = "xyz"
"""1 cm to 100 m: outside it the units are most likely wrong (mm read as m, …)."""


def geometry_checks(asset: Asset, stats: GeometryStats) -> list[Check]:
    prims = [p for _, p in asset.placed()]
    out = [
        check(
            "geometry.non_empty",
            1,
            30,
            "pass" if stats.triangles else "fail",
            f"{stats.triangles} triangles in {stats.meshes} meshes",
        )
    ]
    bad = [
        name
        for p in prims
        for name, values in (("positions", p.positions), ("normals", p.normals), ("uvs", p.uvs))
        if values is not None and not np.isfinite(values).all()
    ]
    out.append(
        check(
            "geometry.finite",
            1,
            20,
            "fail" if bad else "pass",
            f"NaN/Inf in {', '.join(sorted(set(bad)))}" if bad else "every value is finite",
        )
    )
    degenerate = sum(int(degenerate_mask(p).sum()) for p in prims)
    out.append(
        check(
            "geometry.degenerate_faces",
            1,
            5,
            "warn" if degenerate else "pass",
            f"{degenerate} zero-area triangles" if degenerate else "no zero-area triangles",
        )
    )
    boundary, nonmanifold = (
        (sum(c) for c in zip(*(open_edges(p) for p in prims), strict=True)) if prims else (0, 0)
    )
    out.append(
        check(
            "geometry.open_edges",
            1,
            4,
            "warn" if boundary or nonmanifold else "pass",
            f"{boundary} open edges, {nonmanifold} non-manifold edges (welded by position)",
        )
    )
    tris = stats.triangles
    out.append(
        check(
            "geometry.triangle_budget",
            1,
            10,
            "pass" if tris <= REALTIME_TRIANGLES else "warn" if tris <= HEAVY_TRIANGLES else "fail",
            f"{tris} triangles (real-time budget {REALTIME_TRIANGLES})",
        )
    )
    missing = sum(1 for p in prims if len(p.positions) and not normals_valid(p))
    out.append(
        check(
            "geometry.normals",
            1,
            5,
            "fail" if missing else "pass",
            f"{missing} of {len(prims)} primitives lack valid normals"
            if missing
            else "every primitive has normals",
        )
    )
    textured = [
        p for p in prims if p.material is not None and asset.materials[p.material].textures()
    ]
    no_uv = sum(1 for p in textured if p.uvs is None)
    out.append(
        check(
            "geometry.uvs",
            1,
            10,
            "fail" if no_uv else "pass",
            f"{no_uv} textured primitives have no UVs"
            if no_uv
            else f"{len(textured)} textured primitives, all with UVs",
        )
    )
    return out


def material_checks(asset: Asset) -> list[Check]:
    prims = [p for _, p in asset.placed()]
    bare = sum(1 for p in prims if p.material is None)
    out_of_range = [
        m.name or f"#{i}"
        for i, m in enumerate(asset.materials)
        if not all(0 <= v <= 1 for v in (*m.base_color, m.metallic, m.roughness))
    ]
    problems = []
    if bare:
        problems.append(f"{bare} primitives without a material")
    if out_of_range:
        problems.append(f"values outside 0..1 in {', '.join(out_of_range)}")
    out = [
        check(
            "materials.pbr_complete",
            1,
            5,
            "warn" if problems else "pass",
            "; ".join(problems) or f"{len(asset.materials)} PBR metallic-roughness materials",
        )
    ]
    sizes = texture_sizes(asset)
    unreadable = sum(1 for s in sizes if s is None)
    known = [s for s in sizes if s is not None]
    too_big = [s for s in known if s.largest > MAX_TEXTURE]
    npot = [s for s in known if not s.power_of_two]
    listed = ", ".join(f"{s.width}×{s.height}" for s in known) or "no textures"
    result = "fail" if unreadable or too_big else "warn" if npot else "pass"
    detail = []
    if unreadable:
        detail.append(f"{unreadable} unreadable")
    if too_big:
        detail.append(f"{len(too_big)} larger than {MAX_TEXTURE}")
    if npot:
        detail.append(f"{len(npot)} not a power of two")
    out.append(
        check(
            "materials.texture_size",
            1,
            5,
            result,
            f"{listed}" + (f" ({'; '.join(detail)})" if detail else ""),
        )
    )
    count = len(sizes)
    out.append(
        check(
            "materials.texture_count",
            1,
            2,
            "pass" if count <= MAX_TEXTURES else "warn",
            f"{count} textures (at most {MAX_TEXTURES} recommended)",
        )
    )
    return out


def scene_checks(asset: Asset, stats: GeometryStats) -> list[Check]:
    if stats.size_m is None or stats.bounds_min is None or stats.bounds_max is None:
        return [check(i, 1, w, "skip", "no vertices") for i, w in SCENE_WEIGHTS]
    largest = max(stats.size_m)
    low, high = SCALE_M
    out = [
        check(
            "scene.scale",
            1,
            5,
            "pass" if low <= largest <= high else "warn",
            f"largest side {largest:.4g} m (plausible: {low:g}–{high:g} m)",
        )
    ]
    up = 1 if asset.up_axis == "Y" else 2
    across = [a for a in range(3) if a != up]
    lo, hi = np.array(stats.bounds_min), np.array(stats.bounds_max)
    centre = (lo + hi) / 2
    tol = 0.01 * max(largest, 1e-9)
    grounded = abs(lo[up]) <= tol and all(abs(centre[a]) <= 5 * tol for a in across)
    where = ", ".join(f"{AXES[a]}={_m(centre[a])}" for a in across)
    out.append(
        check(
            "scene.origin",
            1,
            3,
            "pass" if grounded else "warn",
            f"base at {AXES[up]}={_m(lo[up])} m, centre {where} m"
            + ("" if grounded else " (not standing on the origin)"),
        )
    )
    out.append(
        check(
            "scene.y_up",
            1,
            3,
            "pass" if asset.up_axis == "Y" else "warn",
            f"up axis {asset.up_axis}",
        )
    )
    return out


def _m(x: float) -> str:
    """Metres to 4 significant digits, float noise below a micrometre shown as 0."""
    return f"{round(float(x), 6) + 0.0:.4g}"


SCENE_WEIGHTS = (("scene.scale", 5.0), ("scene.origin", 3.0), ("scene.y_up", 3.0))

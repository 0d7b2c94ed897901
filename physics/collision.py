"""Colliders: the mesh decomposed into convex hulls by CoACD, within a time budget.

Physics engines collide dynamic bodies as convex shapes, so a concave asset (a mug, a
chair) needs several hulls to keep its openings; CoACD (approximate convex decomposition
by collision-aware cutting) makes them. Its defaults are tuned for quality, not time
(~400 s on a 10k-triangle mesh), so two presets trade one for the other; the figures are
tests/assets/Duck.glb (4,212 triangles, 1.7 m in the SimReady frame) at the default
threshold, on two shared cores (timings vary ±50 % with the load):

``fast``
    ``max_convex_hull=16, preprocess_resolution=30, resolution=1000, mcts_nodes=10,
    mcts_iterations=60, mcts_max_depth=2``: 5 hulls in 7-10 s. CoACD's hulls hold up to
    3,138 vertices, capped here to 255 by a containing hull: 1.19 × the mesh's volume
    (1.11 before the cap).
``quality``
    ``max_convex_hull=32, preprocess_resolution=50, resolution=2000, mcts_nodes=20,
    mcts_iterations=100, mcts_max_depth=3`` (CoACD's defaults but 100 MCTS iterations
    instead of 150, and at most 32 hulls), and CoACD's own hull decimation to 255
    vertices (``decimate``, ``max_ch_vertex``), which fits closer than the containing cap:
    5 hulls in 45 s (97 s on a loaded machine: give it a larger budget), 1.05 × the
    mesh's volume. Without the decimation: 30 s, 1.15 ×; at threshold 0.05: 10 hulls.

``threshold`` is CoACD's concavity bound (smaller: more, snugger hulls), given apart from
the preset because it is the one knob a user turns.

CoACD is blocking C++ that cannot be interrupted, so it runs in a child process
(:mod:`physics.coacd_child`, a fresh interpreter: multiprocessing's spawn would re-run an
unguarded ``__main__`` script) that is killed once ``budget_s`` is spent (its start,
~0.2 s, counts). A run past the budget, an error or a crash of CoACD falls back to one
convex hull of the whole mesh (``method="convex_hull"``, ``fallback_reason`` saying why),
which every engine takes but which fills the openings.

Every hull is then rebuilt by Qhull (convex, wound outward) and, past ``MAX_HULL_VERTICES``
(PhysX cooks at most 255 per convex mesh), reduced to a hull that still contains it
(:func:`health.report.collision.reduced_hull`). A hull spanning less than
``DEGENERATE_VOLUME`` × the mesh's box diagonal cubed (or no volume at all: fewer than four
points off one plane) is dropped and counted, since MuJoCo refuses zero-volume meshes;
when none is left, the whole mesh's hull stands in. A flat mesh (a card, a plane) is not
given to CoACD at all (it would wrap the plane in a hull as thick as its voxels): its
collider is its points pushed to either side of its plane, a thin slab
(:func:`health.report.collision.thickened_points`), and its "mesh volume" is the slab's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

from exchange.asset.model import Primitive
from health.report.collision import (
    MAX_HULL_VERTICES,
    hull_primitive,
    reduced_hull,
    thickened_points,
)
from physics.model import Collision, CollisionFigures, Hull, TriMesh
from physics.solid import solid

DEFAULT_THRESHOLD = 0.1
DEFAULT_BUDGET_S = 60.0
PRESETS: dict[str, dict[str, int | bool]] = {
    "fast": {
        "max_convex_hull": 16,
        "preprocess_resolution": 30,
        "resolution": 1000,
        "mcts_nodes": 10,
        "mcts_iterations": 60,
        "mcts_max_depth": 2,
    },
    "quality": {
        "max_convex_hull": 32,
        "preprocess_resolution": 50,
        "resolution": 2000,
        "mcts_nodes": 20,
        "mcts_iterations": 100,
        "mcts_max_depth": 3,
        "decimate": True,
        "max_ch_vertex": MAX_HULL_VERTICES,
    },
}
CHILD = Path(__file__).with_name("coacd_child.py")
DEGENERATE_VOLUME = 1e-9
"""A hull's least volume, relative to the mesh's box diagonal cubed (1 mm³ for 1 m)."""

Part = tuple[np.ndarray, np.ndarray]


def decompose(
    mesh: TriMesh,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    preset: str = "fast",
    budget_s: float = DEFAULT_BUDGET_S,
) -> Collision:
    """Convex colliders for ``mesh``; raises ValueError for an unknown preset, a threshold
    outside (0, 1], or a mesh without a plane to make a collider of (no triangles, a line,
    a point, non-finite vertices)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown CoACD preset '{preset}': {', '.join(PRESETS)}")
    if not 0 < threshold <= 1:
        raise ValueError("the concavity threshold must be in (0, 1]: CoACD never ends at 0")
    started = time.monotonic()
    points = mesh.vertices.astype(np.float64)
    if not np.isfinite(points).all():
        raise ValueError("the mesh has non-finite vertices")
    if not len(mesh.faces) or thickened_points(points) is None:
        raise ValueError("the mesh spans no plane: there is nothing to collide with")
    arguments: dict[str, float | int | str] = {"threshold": threshold, **PRESETS[preset]}
    hulls: list[Hull] = []
    removed = 0
    if hull_primitive(points) is None:
        failure: str | None = "the mesh is flat: a thin slab around its plane"
    else:
        welded = trimesh.Trimesh(points, mesh.faces, process=False)
        welded.merge_vertices()
        parts, failure = coacd_parts(welded.vertices, welded.faces, arguments, budget_s)
        diagonal = float(np.linalg.norm(np.ptp(points, axis=0)))
        hulls, removed = convex_parts(parts, DEGENERATE_VOLUME * diagonal**3)
        if failure is None and not hulls:
            failure = f"every one of CoACD's {removed} hulls was degenerate"
    method = "coacd"
    if failure is not None:
        hulls, method = whole_hull(points), "convex_hull"
    return Collision(
        hulls=tuple(hulls),
        method=method,
        fallback_reason=failure,
        seconds=time.monotonic() - started,
        figures=figures(mesh, hulls, removed),
        parameters={"preset": preset, **arguments, "budget_s": budget_s},
    )


def coacd_parts(
    vertices: np.ndarray, faces: np.ndarray, arguments: dict, budget_s: float
) -> tuple[list[Part], str | None]:
    """CoACD's hulls, or none and why: the budget ran out, CoACD raised or died."""
    with tempfile.TemporaryDirectory(prefix="coacd-") as folder:
        np.savez(
            Path(folder) / "input.npz",
            vertices=vertices,
            faces=faces,
            arguments=json.dumps(arguments),
        )
        command = [sys.executable, "-I", str(CHILD), folder]
        try:
            done = subprocess.run(command, capture_output=True, timeout=budget_s)
        except subprocess.TimeoutExpired:
            return [], f"CoACD took longer than the {budget_s:g} s budget"
        if done.returncode < 0:
            return [], f"CoACD failed: its process died of signal {-done.returncode}"
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip()[-500:]
            return [], f"CoACD failed: {said or f'exit status {done.returncode}'}"
        with np.load(Path(folder) / "output.npz") as out:
            count = len(out.files) // 2
            return [(out[f"vertices_{i}"], out[f"faces_{i}"]) for i in range(count)], None


def convex_parts(parts: list[Part], least_volume: float) -> tuple[list[Hull], int]:
    """Each part's hull (convex, outward, capped), and how many spanned no volume."""
    hulls: list[Hull] = []
    for vertices, _ in parts:
        hull = capped_hull(vertices)
        if hull is not None and hull_volume(hull) > least_volume:
            hulls.append(hull)
    return hulls, len(parts) - len(hulls)


def whole_hull(points: np.ndarray) -> list[Hull]:
    """One hull of every point; a slab around a flat mesh's plane."""
    hull = capped_hull(points)
    if hull is None:
        slab = thickened_points(points)
        hull = None if slab is None else capped_hull(slab)
    return [] if hull is None else [hull]


def capped_hull(points: np.ndarray) -> Hull | None:
    prim: Primitive | None = hull_primitive(points)
    if prim is None:
        return None
    if len(prim.positions) > MAX_HULL_VERTICES:
        prim = reduced_hull(prim, MAX_HULL_VERTICES)
    return Hull(prim.positions.astype(np.float64), prim.indices.astype(np.int32))


def hull_volume(hull: Hull) -> float:
    """The volume a closed, outward-wound triangle set encloses (divergence theorem)."""
    tri = hull.vertices[hull.faces]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6)


def figures(mesh: TriMesh, hulls: list[Hull], removed: int) -> CollisionFigures:
    counts = [len(h.vertices) for h in hulls] or [0]
    volume_hulls = sum(hull_volume(h) for h in hulls)
    volume_mesh = mesh_volume(mesh)
    return CollisionFigures(
        hull_count=len(hulls),
        vertices_min=min(counts),
        vertices_max=max(counts),
        vertices_mean=float(np.mean(counts)),
        volume_hulls=volume_hulls,
        volume_mesh=volume_mesh,
        volume_ratio=volume_hulls / volume_mesh if volume_mesh > 0 else 0.0,
        degenerate_removed=removed,
    )


def mesh_volume(mesh: TriMesh) -> float:
    """A solid's own volume, else its convex hull's (a flat mesh's: its slab's)."""
    closed = solid(mesh)
    if closed is not None:
        return float(closed.volume)
    return sum(hull_volume(h) for h in whole_hull(mesh.vertices))

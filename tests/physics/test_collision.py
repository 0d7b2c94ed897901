"""physics.collision: CoACD's hulls within a budget, the single-hull fallback, the slab."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import trimesh

from exchange.asset import read_asset
from physics.collision import (
    MAX_HULL_VERTICES,
    PRESETS,
    coacd_parts,
    convex_parts,
    decompose,
    hull_volume,
)
from physics.frame import merged, simready_frame
from physics.model import Hull, TriMesh
from testdata import ASSETS


def tri(tm: trimesh.Trimesh) -> TriMesh:
    return TriMesh(np.asarray(tm.vertices, dtype=np.float64), np.asarray(tm.faces))


def duck() -> TriMesh:
    return merged(simready_frame(read_asset(ASSETS / "Duck.glb")))


def outward_and_convex(hull: Hull) -> bool:
    """Every face's plane has the whole hull behind it (convex) and faces away (outward)."""
    tri_ = hull.vertices[hull.faces]
    normal = np.cross(tri_[:, 1] - tri_[:, 0], tri_[:, 2] - tri_[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    reach = np.einsum("fk,fvk->fv", normal, hull.vertices[None, :, :] - tri_[:, None, 0])
    size = float(np.ptp(hull.vertices, axis=0).max())
    return bool(reach.max() < 1e-5 * size)


def contains(hull: Hull, points: np.ndarray) -> bool:
    tri_ = hull.vertices[hull.faces]
    normal = np.cross(tri_[:, 1] - tri_[:, 0], tri_[:, 2] - tri_[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    reach = np.einsum("fk,fvk->fv", normal, points[None, :, :] - tri_[:, None, 0])
    return bool(reach.max() < 1e-4 * float(np.ptp(points, axis=0).max()))


def test_the_duck_decomposes_within_the_fast_preset():
    collision = decompose(duck())

    f = collision.figures
    assert collision.method == "coacd" and collision.fallback_reason is None
    assert collision.seconds < 30
    assert f.hull_count == len(collision.hulls) > 1
    assert 0.95 < f.volume_ratio < 1.5
    assert f.vertices_max <= MAX_HULL_VERTICES and f.vertices_min >= 4
    assert all(hull_volume(h) > 0 and outward_and_convex(h) for h in collision.hulls)
    assert collision.parameters["preset"] == "fast"
    assert collision.parameters["mcts_iterations"] == 60


def test_a_torus_keeps_its_hole():
    ring = trimesh.creation.torus(major_radius=1.0, minor_radius=0.25)

    collision = decompose(tri(ring))

    assert collision.method == "coacd"
    assert collision.figures.hull_count > 2
    assert 0.9 < collision.figures.volume_ratio < 1.6
    assert all(hull_volume(h) > 0 and outward_and_convex(h) for h in collision.hulls)
    # the hole stays open: no hull reaches the axis through the centre
    axis = np.array([[0.0, 0.0, z] for z in np.linspace(-0.2, 0.2, 5)])
    assert not any(contains(h, axis[i : i + 1]) for h in collision.hulls for i in range(5))


def test_a_smooth_sphere_hull_is_capped_and_still_covers_it():
    ball = tri(trimesh.creation.icosphere(subdivisions=4))  # 2562 vertices, all on its hull

    collision = decompose(ball)

    (hull,) = collision.hulls  # a convex mesh is one hull
    assert len(hull.vertices) <= MAX_HULL_VERTICES
    assert contains(hull, ball.vertices)
    assert 1 <= collision.figures.volume_ratio < 1.1


def test_a_spent_budget_falls_back_to_one_hull_of_the_whole_mesh():
    mesh = duck()

    collision = decompose(mesh, budget_s=0.5)

    assert collision.method == "convex_hull"
    assert collision.fallback_reason == "CoACD took longer than the 0.5 s budget"
    assert collision.seconds < 10
    (hull,) = collision.hulls
    assert len(hull.vertices) <= MAX_HULL_VERTICES
    assert contains(hull, mesh.vertices) and outward_and_convex(hull)
    assert collision.figures.volume_ratio > 1


def test_a_coacd_error_falls_back_and_says_so(monkeypatch):
    monkeypatch.setitem(PRESETS, "fast", {**PRESETS["fast"], "no_such_option": 1})

    collision = decompose(tri(trimesh.creation.box()))

    assert collision.method == "convex_hull" and len(collision.hulls) == 1
    assert collision.fallback_reason == (
        "CoACD failed: TypeError: run_coacd() got an unexpected keyword argument 'no_such_option'"
    )
    assert collision.figures.volume_ratio == pytest.approx(1.0)


def test_a_coacd_crash_is_a_failure_not_a_dead_worker():
    box = trimesh.creation.box()

    parts, failure = coacd_parts(box.vertices, box.faces + 100_000, {"threshold": 0.1}, 30)

    assert parts == [] and failure == "CoACD failed: its process died of signal 11"


def test_coacd_dies_with_a_killed_parent():
    # a job killed at its own deadline must not leave CoACD cutting on as an orphan
    root = Path(__file__).parents[2]
    hold = (
        "import trimesh; from physics.collision import coacd_parts; b = trimesh.creation.box(); "
        "coacd_parts(b.vertices, b.faces, {'threshold': 0.0}, 600)"  # 0: never finishes
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    parent = subprocess.Popen([sys.executable, "-c", hold], cwd=root, env=env)
    try:
        deadline = time.monotonic() + 20
        children: list[psutil.Process] = []
        while not children and time.monotonic() < deadline:
            children = psutil.Process(parent.pid).children()
            time.sleep(0.1)
        assert children and "coacd_child.py" in " ".join(children[0].cmdline())
        time.sleep(0.5)  # past the child's start, into CoACD
    finally:
        parent.kill()
        parent.wait()
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive


def test_a_flat_card_gets_a_thin_slab():
    card = TriMesh(
        np.array([[0, 0, 0], [1, 0, 0], [1, 0, 2], [0, 0, 2]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]]),
    )

    collision = decompose(card)

    assert collision.method == "convex_hull" and "flat" in (collision.fallback_reason or "")
    (slab,) = collision.hulls
    thickness = np.ptp(slab.vertices, axis=0)
    assert thickness[1] < 0.05 and thickness[0] >= 1 and thickness[2] >= 2
    assert hull_volume(slab) > 0 and outward_and_convex(slab)
    assert collision.figures.volume_ratio == pytest.approx(1.0)


def test_hulls_without_volume_are_dropped_and_counted():
    flat = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float64)
    sliver = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1e-10]], dtype=np.float64)
    cube = np.array(trimesh.creation.box().vertices)

    none = np.zeros((0, 3), dtype=np.int64)  # CoACD's faces are not used: hulls are rebuilt

    hulls, removed = convex_parts([(flat, none), (sliver, none), (cube, none)], 1e-9)

    assert removed == 2 and len(hulls) == 1 and hull_volume(hulls[0]) == pytest.approx(1)


def test_a_line_has_no_collider():
    line = TriMesh(np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0]], float), np.array([[0, 1, 2]]))

    with pytest.raises(ValueError, match="spans no plane"):
        decompose(line)


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="fast, quality"):
        decompose(tri(trimesh.creation.box()), preset="thorough")


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_a_threshold_coacd_cannot_finish_with_is_refused(threshold):
    # at 0 CoACD never stops cutting (measured: still running after 20 s on a cube)
    with pytest.raises(ValueError, match="threshold"):
        decompose(tri(trimesh.creation.box()), threshold=threshold)


@pytest.mark.slow
def test_the_quality_preset_fits_the_duck_closer():
    collision = decompose(duck(), preset="quality", budget_s=180)

    assert collision.method == "coacd"
    assert collision.parameters["preset"] == "quality"
    # CoACD's own decimation to 255 vertices fits closer than the fast preset's cap (1.19)
    assert collision.figures.hull_count > 1 and 0.95 < collision.figures.volume_ratio < 1.12
    assert collision.figures.vertices_max <= MAX_HULL_VERTICES

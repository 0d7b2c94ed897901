"""health.report.collision: convex hulls a physics engine can use."""

from __future__ import annotations

import numpy as np
import trimesh

from exchange.asset import Mesh, Primitive, read_asset
from exchange.asset.model import single_mesh_asset, world_points
from health.report import collision_asset, convex_hulls
from testdata import ASSETS

CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float32)


def subdivided_cube() -> Primitive:
    """A cube with a grid of points on every face: the hull must keep only the corners."""
    grid = np.linspace(-1, 1, 5)
    pts = {(x, y, z) for x in grid for y in grid for z in grid if 1 in np.abs([x, y, z])}
    positions = np.array(sorted(pts), dtype=np.float32)
    n = len(positions)
    faces = np.array([[i, (i + 1) % n, (i + 2) % n] for i in range(n)], dtype=np.uint32)
    return Primitive(positions, faces)


def test_a_cubes_hull_has_its_eight_corners():
    asset = single_mesh_asset(Mesh("cube", [subdivided_cube()]), [])

    collision = convex_hulls(asset)

    assert collision.generated and len(collision.hulls) == 1
    hull = collision.hulls[0]
    assert hull.vertices == 8 and hull.triangles == 12
    assert {tuple(p) for p in hull.primitive.positions.tolist()} == {
        tuple(p) for p in CORNERS.tolist()
    }


def test_the_ducks_hull_contains_every_vertex_and_faces_outward():
    duck = read_asset(ASSETS / "Duck.glb")

    collision = convex_hulls(duck)

    assert collision.generated
    hull = collision.hulls[0].primitive
    points = np.concatenate([world_points(m, p.positions) for m, p in duck.placed()])
    tri = hull.positions[hull.indices.astype(np.int64)].astype(np.float64)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    offset = np.einsum("ij,ij->i", normal, tri[:, 0])
    # every vertex is behind (inside) every outward-facing hull plane
    assert (points.astype(np.float64) @ normal.T - offset).max() < 1e-4
    assert 8 < collision.hulls[0].vertices <= 255 < collision.hulls[0].exact_vertices


def test_a_smooth_spheres_hull_is_reduced_to_an_engines_limit_and_still_contains_it():
    sphere = trimesh.creation.icosphere(subdivisions=5)  # 10242 vertices, all on the hull
    prim = Primitive(sphere.vertices.astype(np.float32), sphere.faces.astype(np.uint32))
    asset = single_mesh_asset(Mesh("ball", [prim]), [])

    (hull,) = convex_hulls(asset).hulls

    assert hull.exact_vertices == 10242 and hull.vertices == 255
    tri = hull.primitive.positions[hull.primitive.indices.astype(np.int64)].astype(np.float64)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    offset = np.einsum("ij,ij->i", normal, tri[:, 0])
    assert (sphere.vertices @ normal.T - offset).max() <= 0  # nothing pokes out
    radius = np.linalg.norm(hull.primitive.positions, axis=1)
    assert radius.max() < 1.03  # and it hugs the unit sphere


def test_a_flat_mesh_gets_a_thin_slab_and_says_so():
    flat = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float32),
        np.array([[0, 1, 2], [1, 3, 2]], dtype=np.uint32),
    )
    asset = single_mesh_asset(Mesh("plane", [flat]), [])

    collision = convex_hulls(asset)

    assert collision.generated
    (hull,) = collision.hulls
    assert hull.thickened and hull.vertices == 8
    z = hull.primitive.positions[:, 2]
    np.testing.assert_allclose(sorted({round(float(v), 6) for v in z}), [-0.005, 0.005])


def test_points_on_a_line_have_no_hull():
    line = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0]], dtype=np.float32),
        np.array([[0, 1, 2]], dtype=np.uint32),
    )
    asset = single_mesh_asset(Mesh("line", [line]), [])

    collision = convex_hulls(asset)

    assert not collision.generated and collision.failed == ["line"]


def test_past_the_budget_no_hull_is_tried():
    asset = single_mesh_asset(Mesh("cube", [subdivided_cube()]), [])

    collision = convex_hulls(asset, budget_s=-1.0)

    assert collision.budget_exceeded and not collision.generated


def test_the_collision_asset_holds_the_hulls():
    duck = read_asset(ASSETS / "Duck.glb")
    collision = convex_hulls(duck)

    hulls = collision_asset(collision)

    assert len(hulls.meshes) == 1 and hulls.materials == []
    (placed,) = [p for _, p in hulls.placed()]
    assert len(placed.positions) == collision.hulls[0].vertices

"""health.report.repair: only fixes that really change the asset are reported, and the
change is what a user would see (fewer triangles, normals that face outward)."""

from __future__ import annotations

import numpy as np

from exchange.asset import Material, Mesh, Primitive, read_asset
from exchange.asset.model import single_mesh_asset
from health.report import repair
from testdata import ASSETS

# google/draco's testdata/deg_faces.obj (Apache-2.0): three real triangles and "f 1 1 3".
DEG_FACES_OBJ = """\
v 0.123 0.6514 0.000001
v 0.342 0.1234 0.000002
v 0.156 0.8422 0.000003
v 0.252 0.2344 0.000004
v 0.782 4.2515 0.000005
v 0.127 1.2715 0.000006
f 1 2 3
f 3 2 6
f 4 6 2
f 1 1 3
"""

CUBE_CORNERS = np.array(
    [[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float32
)
# 12 triangles wound counter-clockwise seen from outside (corner i = 4x + 2y + z).
CUBE_FACES = np.array(
    [
        [0, 1, 3], [0, 3, 2],  # -x
        [4, 6, 7], [4, 7, 5],  # +x
        [0, 4, 5], [0, 5, 1],  # -y
        [2, 3, 7], [2, 7, 6],  # +y
        [0, 2, 6], [0, 6, 4],  # -z
        [1, 5, 7], [1, 7, 3],  # +z
    ],
    dtype=np.uint32,
)  # fmt: skip


def cube(normals: np.ndarray | None = None):
    prim = Primitive(CUBE_CORNERS.copy(), CUBE_FACES.copy(), normals, None, 0)
    return single_mesh_asset(Mesh("cube", [prim]), [Material("cube")])


def test_the_degenerate_face_is_dropped_and_reported(tmp_path):
    path = tmp_path / "deg_faces.obj"
    path.write_text(DEG_FACES_OBJ)
    source = read_asset(path)
    before = sum(len(p.indices) for _, p in source.placed())

    fixed, fixes = repair(source)

    after = [p for _, p in fixed.placed()]
    assert "degenerate_faces_removed" in fixes
    assert before == 4
    assert sum(len(p.indices) for p in after) == 3
    # the faces left are the three real ones, and the source asset is untouched
    for prim in after:
        tri = prim.positions[prim.indices.astype(np.int64)]
        area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        assert (area > 1e-6).all()
    assert sum(len(p.indices) for _, p in source.placed()) == 4


def test_a_mesh_without_normals_gets_outward_normals():
    fixed, fixes = repair(cube())

    assert fixes == ["normals_regenerated"]
    prim = fixed.meshes[0].primitives[0]
    assert prim.normals is not None and prim.normals.shape == (8, 3)
    outward = np.einsum("ij,ij->i", prim.normals, prim.positions / np.sqrt(3))
    # each corner's normal leans along its own diagonal (area weights: a corner with two
    # triangles of a face pulls towards that face, so not exactly the diagonal)
    assert outward.min() > 0.9
    assert (np.sign(prim.normals) == np.sign(prim.positions)).all()
    np.testing.assert_allclose(np.linalg.norm(prim.normals, axis=1), 1.0, atol=1e-6)


def test_nan_or_zero_normals_are_regenerated_too():
    broken = np.tile(np.array([[0, 1, 0]], dtype=np.float32), (8, 1))
    broken[0] = np.nan
    broken[1] = 0.0

    fixed, fixes = repair(cube(broken))

    normals = fixed.meshes[0].primitives[0].normals
    assert fixes == ["normals_regenerated"]
    assert normals is not None and np.isfinite(normals).all()
    assert np.einsum("ij,ij->i", normals, CUBE_CORNERS).min() > 0


def test_unused_vertices_are_dropped_with_their_attributes():
    positions = np.vstack([CUBE_CORNERS, [[5, 5, 5]]]).astype(np.float32)
    uvs = np.arange(18, dtype=np.float32).reshape(9, 2)
    prim = Primitive(positions, CUBE_FACES.copy(), None, uvs, 0)
    asset = single_mesh_asset(Mesh("cube", [prim]), [Material("cube")])

    fixed, fixes = repair(asset)

    out = fixed.meshes[0].primitives[0]
    assert fixes == ["unused_vertices_removed", "normals_regenerated"]
    assert len(out.positions) == 8 and out.uvs is not None and len(out.uvs) == 8
    assert out.positions.max() == 1.0


def test_a_clean_asset_reports_no_fix():
    fixed, fixes = repair(read_asset(ASSETS / "Duck.glb"))

    assert fixes == []
    assert sum(len(p.indices) for _, p in fixed.placed()) == 4212

"""An OBJ whose faces are all quads (Blender's default export): trimesh hands its quads back
unsplit, and the converter must still see every face, as two triangles each."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exchange.asset import read_asset
from exchange.asset.transform import bounds

CUBE = """o Cube
v -1 -1 -1
v 1 -1 -1
v 1 1 -1
v -1 1 -1
v -1 -1 1
v 1 -1 1
v 1 1 1
v -1 1 1
f 1 4 3 2
f 5 6 7 8
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""


def test_an_all_quad_obj_reads_as_two_triangles_a_face(tmp_path: Path) -> None:
    (tmp_path / "cube.obj").write_text(CUBE)
    asset = read_asset(tmp_path / "cube.obj")
    prims = [p for _, p in asset.placed()]
    assert sum(len(p.indices) for p in prims) == 12
    box = bounds(asset)
    assert box is not None and np.allclose(box, [[-1, -1, -1], [1, 1, 1]])
    area = 0.0
    for p in prims:
        a, b, c = (p.positions[p.indices[:, i]].astype(float) for i in range(3))
        area += float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2)
    assert abs(area - 24.0) < 1e-6  # six 2×2 faces, none lost or doubled

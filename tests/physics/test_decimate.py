"""physics.decimate: about the target, the shape kept, small meshes untouched."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from physics.decimate import decimated
from physics.model import TriMesh


def sphere() -> TriMesh:
    ball = trimesh.creation.icosphere(subdivisions=5)  # 20,480 triangles, radius 1
    return TriMesh(np.asarray(ball.vertices), np.asarray(ball.faces))


def test_a_mesh_is_reduced_to_about_the_target_and_keeps_its_shape():
    out = decimated(sphere(), 2_000)

    assert 1_800 <= len(out.faces) <= 2_200
    radius = np.linalg.norm(out.vertices, axis=1)
    assert radius.min() > 0.97 and radius.max() < 1.01
    assert out.faces.max() < len(out.vertices)
    surface = trimesh.Trimesh(out.vertices, out.faces)
    assert surface.is_watertight and surface.volume == pytest.approx(4 / 3 * np.pi, rel=0.03)


def test_a_mesh_under_the_target_is_returned_as_is():
    mesh = sphere()

    assert decimated(mesh, 20_480) is mesh


@pytest.mark.parametrize("target", [999, 1_000_001])
def test_a_target_outside_the_range_is_refused(target):
    with pytest.raises(ValueError, match="between 1,000 and 1,000,000"):
        decimated(sphere(), target)

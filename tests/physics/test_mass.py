"""physics.mass: a solid's own mass properties, the hulls' for an open mesh, the floors."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from physics.collision import decompose
from physics.mass import mass_properties
from physics.model import Collision, CollisionFigures, Hull, MassProperties, TriMesh

FIGURES = CollisionFigures(0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0)


def tri(tm: trimesh.Trimesh) -> TriMesh:
    return TriMesh(np.asarray(tm.vertices, dtype=np.float64), np.asarray(tm.faces))


def colliders(*meshes: trimesh.Trimesh) -> Collision:
    hulls = tuple(Hull(np.array(m.vertices), np.array(m.faces, dtype=np.int32)) for m in meshes)
    return Collision(hulls, "coacd", None, 0.0, FIGURES, {})


def tensor(mass: MassProperties) -> np.ndarray:
    """The inertia tensor in the body frame, rebuilt from the moments and the quaternion."""
    rotation = trimesh.transformations.quaternion_matrix(mass.principal_axes)[:3, :3]
    return rotation @ np.diag(mass.diagonal_inertia) @ rotation.T


def test_a_unit_cube_weighs_its_density():
    cube = trimesh.creation.box(extents=(1, 1, 1))
    cube.apply_translation((0, 0, 0.5))  # standing on the origin, as the SimReady frame has it

    mass = mass_properties(tri(cube), colliders(cube), density=1000)

    assert mass.method == "watertight" and mass.floored is None
    assert mass.mass == pytest.approx(1000) and mass.volume == pytest.approx(1)
    assert mass.center_of_mass == pytest.approx((0, 0, 0.5))
    assert mass.diagonal_inertia == pytest.approx((1000 / 6,) * 3)


def test_a_split_glb_mesh_is_welded_before_it_counts_as_solid():
    # glTF splits vertices along seams: every face its own vertices, not one shared edge
    cube = trimesh.creation.box(extents=(1, 2, 3))
    split = TriMesh(cube.vertices[cube.faces].reshape(-1, 3), np.arange(36).reshape(-1, 3))

    mass = mass_properties(split, colliders(), density=2)

    assert mass.method == "watertight" and mass.mass == pytest.approx(12)


def test_the_principal_axes_turn_the_moments_into_the_tensor():
    box = trimesh.creation.box(extents=(1, 2, 3))
    box.apply_transform(trimesh.transformations.rotation_matrix(0.5, (1, 1, 0)))
    box.density = 700

    mass = mass_properties(tri(box), colliders(box), density=700)

    m = 700 * 6
    assert sorted(mass.diagonal_inertia) == pytest.approx(
        sorted([m / 12 * (4 + 9), m / 12 * (1 + 9), m / 12 * (1 + 4)])
    )
    assert tensor(mass) == pytest.approx(np.asarray(box.moment_inertia), abs=1e-6)
    assert np.linalg.norm(mass.principal_axes) == pytest.approx(1)


@pytest.mark.slow  # CoACD cuts the open box's walls for ~20 s
def test_an_open_box_weighs_what_its_colliders_enclose():
    box = trimesh.creation.box(extents=(1, 1, 1))
    box.apply_translation((0, 0, 0.5))
    lidless = box.copy()
    lidless.update_faces(lidless.face_normals[:, 2] < 0.9)  # the top's two faces gone
    assert not lidless.is_watertight
    mesh = tri(lidless)

    collision = decompose(mesh)
    mass = mass_properties(mesh, collision, density=1000)

    # CoACD takes the open box for a container: its walls are the hulls, so it weighs a
    # thick-walled bin, not a full cube
    assert collision.method == "coacd" and collision.figures.hull_count >= 5
    assert mass.method == "convex_hulls" and mass.floored is None
    assert mass.mass == pytest.approx(1000 * collision.figures.volume_hulls)
    assert 0 < mass.mass < 500
    assert 0.3 < mass.center_of_mass[2] < 0.5  # the floor is there, the lid is not
    assert min(mass.diagonal_inertia) > 0


def test_hulls_combine_about_their_common_centre():
    left = trimesh.creation.box(extents=(1, 1, 1))
    left.apply_translation((-1, 0, 0))
    right = trimesh.creation.box(extents=(1, 1, 1))
    right.apply_translation((1, 0, 0))
    open_shell = TriMesh(np.array(left.vertices), np.array(left.faces[:-2]))

    mass = mass_properties(open_shell, colliders(left, right), density=3)

    # two 3 kg cubes 1 m either side: I_xx = 2·m/6; I_yy = I_zz = 2·(m/6 + m·1²)
    assert mass.method == "convex_hulls" and mass.mass == pytest.approx(6)
    assert mass.center_of_mass == pytest.approx((0, 0, 0), abs=1e-9)
    assert sorted(mass.diagonal_inertia) == pytest.approx([1.0, 7.0, 7.0])
    assert mass.volume == pytest.approx(2)


def test_a_single_quad_weighs_its_slab():
    quad = TriMesh(
        np.array([[0, -0.5, 0], [1, -0.5, 0], [1, 0.5, 0], [0, 0.5, 0]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]]),
    )

    mass = mass_properties(quad, decompose(quad), density=1000)

    # a 1 m² card, 1 % of its side thick: 10 kg
    assert mass.method == "convex_hulls"
    assert mass.mass == pytest.approx(10, rel=0.05)
    assert min(mass.diagonal_inertia) > 0
    assert np.all(np.linalg.eigvalsh(tensor(mass)) > 0)


def test_no_volume_at_all_is_floored_never_zero():
    quad = TriMesh(
        np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]]),
    )

    mass = mass_properties(quad, colliders(), density=500)

    # the box 2 × 1 × (1 % of 2 m): 500 × 0.04 = 20 kg
    assert mass.mass == pytest.approx(20)
    assert mass.floored is not None and "mass" in mass.floored
    assert min(mass.diagonal_inertia) > 0
    assert mass.center_of_mass == pytest.approx((1, 0.5, 0))


def test_a_density_must_be_positive():
    cube = trimesh.creation.box()

    with pytest.raises(ValueError, match="density"):
        mass_properties(tri(cube), colliders(cube), density=0)

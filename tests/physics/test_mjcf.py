"""The MJCF package as MuJoCo compiles it: Menagerie's layout, the hulls as colliders,
the given mass and friction, textures MuJoCo can read, and MuJoCo's refusals passed on."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sim_helpers import WOOD, collision_of, mass_of, package

from exchange.asset.model import Texture
from physics.frame import merged
from physics.headless import mujoco
from physics.mjcf import MjcfRejected, write_mjcf_package


@pytest.mark.parametrize(("name", "slabs"), [("Duck.glb", 3), ("BoxTextured.glb", 1)])
def test_package_compiles_with_visual_and_collision_classes(tmp_path: Path, name: str, slabs: int):
    asset, pkg = package(name, tmp_path, slabs)
    model = mujoco.MjModel.from_xml_path(str(pkg.xml))
    assert pkg.xml == tmp_path / f"{Path(name).stem}.xml"
    assert all(p.parent == tmp_path / "meshes" and p.is_file() for p in pkg.meshes)
    assert [p.parent for p in pkg.textures] == [tmp_path / "textures"]
    assert Image.open(pkg.textures[0]).format == "PNG"

    groups = model.geom_group
    visual, collision = np.flatnonzero(groups == 2), np.flatnonzero(groups == 3)
    assert len(visual) == pkg.visual_geoms == 1
    assert len(collision) == pkg.collision_geoms == slabs
    assert len(visual) + len(collision) == model.ngeom
    assert (model.geom_contype[visual] == 0).all() and (model.geom_conaffinity[visual] == 0).all()
    assert (model.geom_contype[collision] == 1).all()
    # One mesh asset per hull, none shared, and a textured material on the visual geom.
    assert len(set(model.geom_dataid[collision])) == slabs
    assert model.nmesh == len(visual) + slabs
    assert model.mat_texid[model.geom_matid[visual[0]]][mujoco.mjtTextureRole.mjTEXROLE_RGB] == 0
    assert model.njnt == 1 and model.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE

    # The visual mesh sits where the asset is: MuJoCo re-centres meshes and moves the geom.
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    g = visual[0]
    mesh = model.geom_dataid[g]
    verts = model.mesh_vert[
        model.mesh_vertadr[mesh] : model.mesh_vertadr[mesh] + model.mesh_vertnum[mesh]
    ]
    placed = verts @ data.geom_xmat[g].reshape(3, 3).T + data.geom_xpos[g]
    source = merged(asset).vertices
    np.testing.assert_allclose(placed.min(0), source.min(0), atol=1e-5)
    np.testing.assert_allclose(placed.max(0), source.max(0), atol=1e-5)
    assert pkg.compile_seconds > 0


def test_inertial_and_friction_come_from_mass_and_material(tmp_path: Path):
    asset, pkg = package("BoxTextured.glb", tmp_path)
    model = mujoco.MjModel.from_xml_path(str(pkg.xml))
    mass = mass_of(collision_of(asset), WOOD.density)
    assert model.body_mass[1] == pytest.approx(mass.mass)
    np.testing.assert_allclose(model.body_ipos[1], mass.center_of_mass, atol=1e-9)
    np.testing.assert_allclose(model.body_inertia[1], mass.diagonal_inertia, rtol=1e-6)
    collision = model.geom_group == 3
    # A 1 m cube: a 5 mm torsional patch, a rolling arm of c_rr 0.01 times its half-size.
    np.testing.assert_allclose(
        model.geom_friction[collision], [[WOOD.dynamic_friction, 0.005, 0.005]]
    )
    assert (model.geom_condim[collision] == 6).all()
    assert model.opt.timestep == pytest.approx(0.0005) and model.opt.noslip_iterations == 10
    # The visual geoms add no mass: the explicit inertial is the whole body.
    assert model.body_subtreemass[0] == pytest.approx(mass.mass)


def test_a_jpeg_texture_is_written_as_png(tmp_path: Path):
    asset, _ = package("Duck.glb", tmp_path / "first")
    material = asset.materials[0]
    assert material.base_color_texture is not None
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(material.base_color_texture.data)).convert("RGB").save(jpeg, "JPEG")
    material.base_color_texture = Texture(jpeg.getvalue(), "image/jpeg")
    collision = collision_of(asset)
    pkg = write_mjcf_package(
        asset, collision, mass_of(collision, WOOD.density), WOOD, tmp_path / "jpeg", "duck"
    )
    image = Image.open(pkg.textures[0])
    assert (image.format, image.mode, pkg.textures[0].suffix) == ("PNG", "RGB", ".png")
    model = mujoco.MjModel.from_xml_path(str(pkg.xml))
    assert model.ntex == 1 and model.tex_width[0] == image.width


def test_mujoco_refusal_is_raised_with_its_message(tmp_path: Path):
    asset, _ = package("BoxTextured.glb", tmp_path / "first")
    collision = collision_of(asset)
    mass = mass_of(collision, WOOD.density)
    # Principal moments that no solid has (a + b < c): MuJoCo's compiler refuses them.
    impossible = dataclasses.replace(mass, diagonal_inertia=(1.0, 1.0, 5.0))
    with pytest.raises(MjcfRejected, match="inertia"):
        write_mjcf_package(asset, collision, impossible, WOOD, tmp_path / "bad", "box")
    with pytest.raises(MjcfRejected, match="no collision hulls"):
        empty = dataclasses.replace(collision, hulls=())
        write_mjcf_package(asset, empty, mass, WOOD, tmp_path / "empty", "box")


@pytest.mark.parametrize(
    ("restitution", "timeconst", "ratio"),
    [(0.0, 0.02, 1.0), (0.3, 0.02, 0.3579), (0.5, 0.02, 0.2155), (0.95, 0.06446, 0.01633)],
)
def test_restitution_becomes_an_underdamped_contact_spring(
    tmp_path: Path, restitution: float, timeconst: float, ratio: float
):
    """e = exp(−ζπ/√(1−ζ²)) for a damped spring; the bounciest springs (e 0.95) get a
    longer time constant than MuJoCo's 20 ms so that the 0.5 ms step resolves them."""
    material = dataclasses.replace(WOOD, restitution=restitution)
    _, pkg = package("BoxTextured.glb", tmp_path, material=material)
    model = mujoco.MjModel.from_xml_path(str(pkg.xml))
    collision = model.geom_group == 3
    np.testing.assert_allclose(model.geom_solref[collision], [[timeconst, ratio]], rtol=2e-3)
    assert f"restitution {restitution:g}" in pkg.xml.read_text()

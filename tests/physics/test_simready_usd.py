"""physics.simready_usd: real models through the SimReady frame and the writer, judged by
NVIDIA's SimReady validator (Robotics-Prop) and OpenUSD's UsdPhysics validators, then
read back with usd-core as Isaac Sim would read them.

The colliders, mass and material are made here by hand (two convex hulls: the mesh cut
in half along its longest side) so the test depends on none of the modules computing
them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import ConvexHull

from exchange.asset import read_asset
from exchange.asset.model import Asset
from health.validators import validate_simready, validate_usd, validate_usd_physics
from physics.frame import merged, simready_frame
from physics.model import Collision, CollisionFigures, Hull, MassProperties, PhysicsMaterial
from physics.simready_usd import GENERIC_QCODE, SimReadyUsd, write_simready_usd
from testdata import ASSETS

PLASTIC = PhysicsMaterial("plastic", 1050.0, 0.45, 0.35, 0.4, "heuristic", "test material")
MASS = MassProperties(
    mass=0.731,
    center_of_mass=(0.01, -0.02, 0.3),
    diagonal_inertia=(0.011, 0.012, 0.013),
    principal_axes=(0.9238795, 0.0, 0.0, 0.3826834),
    volume=0.0007,
    method="watertight",
)


def hull_of(points: np.ndarray) -> Hull:
    """The convex hull of ``points``, its triangles wound outward."""
    hull = ConvexHull(points)
    used = np.unique(hull.simplices)
    remap = np.full(len(points), -1)
    remap[used] = np.arange(len(used))
    vertices = points[used]
    faces = remap[hull.simplices]
    centre = vertices.mean(0)
    for f in faces:
        a, b, c = vertices[f]
        if np.dot(np.cross(b - a, c - a), a - centre) < 0:
            f[[1, 2]] = f[[2, 1]]
    return Hull(vertices, faces.astype(np.int32))


def halves(asset: Asset) -> Collision:
    """Two hulls: the mesh cut at its box's middle along its longest side, each half the
    hull of its own vertices and the other half's pressed flat onto the cut."""
    points = merged(asset).vertices
    axis = int(np.argmax(np.ptp(points, 0)))
    middle = (points[:, axis].min() + points[:, axis].max()) / 2
    hulls = []
    for clamp in (np.minimum, np.maximum):
        half = points.copy()
        half[:, axis] = clamp(half[:, axis], middle)
        hulls.append(hull_of(half))
    sizes = [len(h.vertices) for h in hulls]
    volume = sum(ConvexHull(h.vertices).volume for h in hulls)
    mean = float(np.mean(sizes))
    figures = CollisionFigures(2, min(sizes), max(sizes), mean, volume, volume, 1.0, 0)
    return Collision(tuple(hulls), "convex_hull", None, 0.0, figures, {})


def write(tmp_path: Path, model: str) -> tuple[Asset, Collision, SimReadyUsd]:
    """The package as the profile's folder rule wants it: <name>/simready_usd/<name>.usd."""
    name = Path(model).stem.lower()
    asset = simready_frame(read_asset(ASSETS / model))
    collision = halves(asset)
    out = write_simready_usd(
        asset, collision, MASS, PLASTIC, tmp_path / name / "simready_usd", name, label=name
    )
    return asset, collision, out


def test_the_duck_is_a_simready_robotics_prop(tmp_path):
    _, _, out = write(tmp_path, "Duck.glb")

    verdict = validate_simready(out.usd)

    assert verdict.passed, verdict.failures
    assert verdict.failures == ()
    assert (verdict.profile, verdict.version) == ("Robotics-Prop", "4.0.0")
    physics = validate_usd_physics(out.usd)
    assert physics.validators, "usd-core registers its UsdPhysics validators"
    assert physics.issues == ()
    everything = validate_usd(out.usd)
    assert everything.ok, everything.errors


def test_the_duck_reads_back_as_one_rigid_body_with_its_hulls(tmp_path):
    from pxr import Usd, UsdGeom, UsdPhysics, UsdSemantics, UsdShade

    asset, collision, out = write(tmp_path, "Duck.glb")
    stage = Usd.Stage.Open(str(out.usd))

    assert out.usd == tmp_path / "duck" / "simready_usd" / "duck.usd"
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    root = stage.GetDefaultPrim()
    assert root.IsValid()
    assert root.HasAPI(UsdPhysics.RigidBodyAPI)
    body = UsdPhysics.MassAPI(root)
    assert root.HasAPI(UsdPhysics.MassAPI)
    assert body.GetMassAttr().Get() == pytest.approx(MASS.mass)
    assert tuple(body.GetCenterOfMassAttr().Get()) == pytest.approx(MASS.center_of_mass)
    assert tuple(body.GetDiagonalInertiaAttr().Get()) == pytest.approx(MASS.diagonal_inertia)
    axes = body.GetPrincipalAxesAttr().Get()
    assert (axes.GetReal(), *axes.GetImaginary()) == pytest.approx(MASS.principal_axes)

    colliders = [p for p in Usd.PrimRange(root) if p.HasAPI(UsdPhysics.CollisionAPI)]
    assert len(colliders) == len(collision.hulls) == 2
    for prim, hull in zip(colliders, collision.hulls, strict=True):
        assert prim.IsA(UsdGeom.Mesh)
        assert prim.HasAPI(UsdPhysics.MeshCollisionAPI)
        approximation = UsdPhysics.MeshCollisionAPI(prim).GetApproximationAttr().Get()
        assert approximation == UsdPhysics.Tokens.convexHull
        assert UsdGeom.Imageable(prim).ComputePurpose() == UsdGeom.Tokens.guide
        points = np.array(UsdGeom.Mesh(prim).GetPointsAttr().Get())
        assert points == pytest.approx(hull.vertices, abs=1e-6)
        bound, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial("physics")
        friction = UsdPhysics.MaterialAPI(bound.GetPrim())
        assert friction.GetStaticFrictionAttr().Get() == pytest.approx(PLASTIC.static_friction)
        assert friction.GetDynamicFrictionAttr().Get() == pytest.approx(PLASTIC.dynamic_friction)
        assert friction.GetRestitutionAttr().Get() == pytest.approx(PLASTIC.restitution)
        assert friction.GetDensityAttr().Get() == pytest.approx(PLASTIC.density)

    # the visual meshes render, collide with nothing, and stand where the asset stands
    visuals = [
        p
        for p in Usd.PrimRange(root)
        if p.IsA(UsdGeom.Mesh) and UsdGeom.Imageable(p).ComputePurpose() == "default"
    ]
    assert visuals and not any(p.HasAPI(UsdPhysics.CollisionAPI) for p in visuals)
    box = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"]).ComputeWorldBound(root)
    low, high = box.ComputeAlignedRange().GetMin(), box.ComputeAlignedRange().GetMax()
    assert low[2] == pytest.approx(0.0, abs=1e-6), "standing on the ground at Z = 0"
    assert high[2] > high[1] - low[1], "the duck is taller (Z) than it is deep (Y)"

    assert list(UsdSemantics.LabelsAPI(root, "class").GetLabelsAttr().Get()) == ["duck"]
    qcode = UsdSemantics.LabelsAPI(root, "wikidata_qcode").GetLabelsAttr().Get()
    assert list(qcode) == [GENERIC_QCODE]
    metadata = stage.GetRootLayer().customLayerData["SimReady_Metadata"]
    assert metadata["mass"] == pytest.approx(MASS.mass)
    assert metadata["rigid_body_count"] == 1
    assert tuple(metadata["asset_extents"]) == pytest.approx(
        tuple(np.ptp(merged(asset).vertices, 0)), rel=1e-5
    )
    assert out.textures == ("textures/texture_0.png",)
    assert (out.usd.parent / out.textures[0]).is_file()


def test_the_thumbnail_is_where_the_profile_looks_and_shows_the_duck(tmp_path):
    _, _, out = write(tmp_path, "Duck.glb")

    assert out.thumbnail == out.usd.parent / ".thumbs" / "256x256" / "duck.usd.png"
    image = np.asarray(Image.open(io.BytesIO(out.thumbnail.read_bytes())).convert("RGB"))
    assert image.shape == (256, 256, 3)
    r, g, b = (image[..., i].astype(int) for i in range(3))
    yellow = (r > 180) & (g > 140) & (b < 90)
    assert yellow.mean() > 0.15, "the yellow duck fills a good part of the picture"


@pytest.mark.parametrize("model", ["BoxTextured.glb", "CesiumMilkTruck.glb"])
def test_other_models_pass_the_profile_too(tmp_path, model):
    _, collision, out = write(tmp_path, model)

    verdict = validate_simready(out.usd)

    assert verdict.passed, verdict.failures
    assert validate_usd_physics(out.usd).issues == ()
    assert out.collider_count == len(collision.hulls)


def test_a_package_outside_the_profiles_folder_layout_fails_it(tmp_path):
    """NP.005: the file name must contain the name of the folder two levels up."""
    asset = simready_frame(read_asset(ASSETS / "Duck.glb"))
    out = write_simready_usd(
        asset, halves(asset), MASS, PLASTIC, tmp_path / "job" / "usd", "duck", label="duck"
    )

    verdict = validate_simready(out.usd)

    assert not verdict.passed
    assert verdict.failed_requirements == {"NP.005"}


def test_no_colliders_is_refused(tmp_path):
    asset = simready_frame(read_asset(ASSETS / "Duck.glb"))
    empty = Collision((), "convex_hull", None, 0.0, CollisionFigures(0, 0, 0, 0, 0, 0, 0, 0), {})

    with pytest.raises(ValueError, match="collider"):
        write_simready_usd(asset, empty, MASS, PLASTIC, tmp_path, "duck", label="duck")

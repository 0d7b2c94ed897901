"""health.validators.simready: NVIDIA's simready-validate as installed, on a SimReady USD
meshfarm wrote and on copies of it broken one way each; and OpenUSD's UsdPhysics
validators on a stage that breaks their rules."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from exchange.asset import read_asset
from health.validators import (
    ValidatorFailed,
    ValidatorUnavailable,
    validate_simready,
    validate_usd_physics,
)
from physics.frame import merged, simready_frame
from physics.model import Collision, CollisionFigures, Hull, MassProperties, PhysicsMaterial
from physics.simready_usd import write_simready_usd
from testdata import ASSETS


@pytest.fixture(scope="module")
def duck(tmp_path_factory) -> Path:
    """The Duck as a SimReady package with one collider, its convex hull."""
    asset = simready_frame(read_asset(ASSETS / "Duck.glb"))
    points = merged(asset).vertices
    hull = ConvexHull(points)
    faces = hull.simplices.astype(np.int32)
    centre = points[hull.vertices].mean(0)
    for f in faces:
        a, b, c = points[f]
        if np.dot(np.cross(b - a, c - a), a - centre) < 0:
            f[[1, 2]] = f[[2, 1]]
    figures = CollisionFigures(1, len(points), len(points), len(points), 1.0, 1.0, 1.0, 0)
    collision = Collision((Hull(points, faces),), "convex_hull", None, 0.0, figures, {})
    mass = MassProperties(0.5, (0.0, 0.0, 0.4), (0.01, 0.01, 0.01), (1, 0, 0, 0), 1.0, "watertight")
    rubber = PhysicsMaterial("rubber", 1100.0, 0.9, 0.8, 0.7, "heuristic", "test")
    out = tmp_path_factory.mktemp("packages") / "duck" / "simready_usd"
    return write_simready_usd(asset, collision, mass, rubber, out, "duck", label="duck").usd


def broken_copy(duck: Path, tmp_path: Path, edit) -> Path:
    """A copy of the whole package (same folder layout), its stage changed by ``edit``."""
    from pxr import Usd

    copy = tmp_path / "duck" / "simready_usd"
    shutil.copytree(duck.parent, copy)
    stage = Usd.Stage.Open(str(copy / duck.name))
    edit(stage)
    stage.GetRootLayer().Save()
    return copy / duck.name


def test_the_written_duck_passes_the_newest_robotics_prop_profile(duck):
    verdict = validate_simready(duck)

    assert verdict.passed
    assert verdict.failures == ()
    assert verdict.profile == "Robotics-Prop"
    assert verdict.version == "4.0.0"
    assert verdict.validator_version == "2026.8.0"
    assert 0 < verdict.seconds < 60
    # optional features it does not implement are listed, not held against it
    assert "com.nvidia.simready.GSP.001" in {f.requirement for f in verdict.optional_unmet}


@pytest.mark.parametrize("version", ["3.0.0", "3.3.0"])
def test_an_older_profile_version_can_be_asked_for(duck, version):
    verdict = validate_simready(duck, version=version)

    assert verdict.version == version
    assert verdict.passed, verdict.failures


def test_without_a_rigid_body_the_profile_fails(duck, tmp_path):
    from pxr import UsdPhysics

    def no_body(stage):
        stage.GetDefaultPrim().RemoveAPI(UsdPhysics.RigidBodyAPI)

    verdict = validate_simready(broken_copy(duck, tmp_path, no_body))

    assert not verdict.passed
    assert verdict.failed_requirements == {"RB.001"}
    failure = next(f for f in verdict.failures if f.feature == "FET_003_STANDARD")
    assert failure.messages == ("No physics rigid bodies found under the default prim.",)


def test_a_y_up_stage_fails_the_profile(duck, tmp_path):
    from pxr import UsdGeom

    verdict = validate_simready(
        broken_copy(duck, tmp_path, lambda s: UsdGeom.SetStageUpAxis(s, UsdGeom.Tokens.y))
    )

    assert not verdict.passed
    assert verdict.failed_requirements == {"UN.006"}
    assert "upAxis of 'Y'" in verdict.failures[0].messages[0]


def test_without_the_thumbnail_the_profile_fails(duck, tmp_path):
    copy = broken_copy(duck, tmp_path, lambda stage: None)
    shutil.rmtree(copy.parent / ".thumbs")

    verdict = validate_simready(copy)

    assert verdict.failed_requirements == {"SR.002"}


def test_an_unknown_profile_gives_no_verdict(duck):
    with pytest.raises(ValidatorFailed, match="not registered"):
        validate_simready(duck, profile="No-Such-Profile")


def test_a_missing_file_is_not_validated(tmp_path):
    with pytest.raises(FileNotFoundError):
        validate_simready(tmp_path / "absent.usd")


def test_without_the_cli_beside_python_the_validator_is_unavailable(duck, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))

    with pytest.raises(ValidatorUnavailable, match="simready-validate"):
        validate_simready(duck)


def test_usd_physics_validators_accept_the_duck(duck):
    verdict = validate_usd_physics(duck)

    assert verdict.ok
    assert verdict.issues == ()
    assert {
        "usdPhysicsValidators:RigidBodyChecker",
        "usdPhysicsValidators:ColliderChecker",
    } <= set(verdict.validators)
    assert all(v.startswith("usdPhysicsValidators:") for v in verdict.validators)


def test_usd_physics_validators_catch_a_body_and_a_collider_they_cannot_simulate(tmp_path):
    bad = tmp_path / "bad.usda"
    bad.write_text(
        """#usda 1.0
(
    defaultPrim = "Root"
    upAxis = "Z"
    metersPerUnit = 1
)
def Scope "Root" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
{
    def Sphere "ball" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        float3 xformOp:scale = (1, 2, 3)
        uniform token[] xformOpOrder = ["xformOp:scale"]
    }
}
"""
    )

    verdict = validate_usd_physics(bad)

    assert not verdict.ok
    assert {(i.validator, i.name) for i in verdict.errors} == {
        ("usdPhysicsValidators:RigidBodyChecker", "RigidBodyNonXformable"),
        ("usdPhysicsValidators:ColliderChecker", "ColliderNonUniformScale"),
    }
    assert {i.sites for i in verdict.errors} == {("/Root",), ("/Root/ball",)}

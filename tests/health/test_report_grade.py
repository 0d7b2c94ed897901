"""health.report.grade and report_document: the checks, the score and the readiness a
user reads for real conversions (the Duck written as GLB, validated by the Khronos
glTF-Validator and read back), and for conversions that lost something."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from exchange.asset import (
    Asset,
    Material,
    Mesh,
    Primitive,
    compare,
    normalised,
    read_asset,
    write_asset,
)
from exchange.asset.compare import RoundTrip
from exchange.asset.model import Node, single_mesh_asset
from health.report import HealthReport, grade, repair, report_document
from health.validators import GltfMessage, GltfVerdict, validate_gltf
from testdata import ASSETS

SEED_FIELDS = {
    "health_score",
    "fixes_applied",
    "lod_variants",
    "collision_meshes_generated",
    "physics_material_inferred",
    "engine_readiness",
    "geometry",
}


def converted(asset: Asset, tmp: Path) -> tuple[Asset, list[object], RoundTrip]:
    """The asset written as GLB, the validator's verdict on it and its round trip."""
    out = tmp / "out.glb"
    write_asset(asset, out, "glb")
    return read_asset(out), [validate_gltf(out)], compare(asset, read_asset(out))


def graded_duck(tmp: Path) -> tuple[Asset, list[object], RoundTrip, HealthReport]:
    asset, fixes = repair(normalised(read_asset(ASSETS / "Duck.glb")))
    back, verdicts, trip = converted(asset, tmp)
    report = grade(
        asset, fixes=fixes, verdicts=verdicts, round_trip=trip, target="glb", source_format="glb"
    )
    return back, verdicts, trip, report


def test_the_duck_scores_high_and_every_engine_is_ready(tmp_path):
    _, _, _, report = graded_duck(tmp_path)

    assert report.score >= 95
    results = {c.id: c.result for c in report.checks}
    assert results["output.gltf_validator"] == "pass"
    assert results["output.round_trip"] == "pass"
    assert "fail" not in results.values()
    assert {e: r.ready for e, r in report.engine_readiness.items()} == {
        "unreal": True,
        "houdini": True,
        "apple_ar": True,
        "web_threejs": True,
    }
    assert report.geometry.triangles == 4212 and report.geometry.vertices == 2399
    assert report.geometry.meshes == 1 and report.geometry.textures == 1
    assert report.geometry.bounds_min is not None and abs(report.geometry.bounds_min[1]) < 1e-6
    assert report.geometry.size_m is not None
    assert 1.5 < max(report.geometry.size_m) < 1.7  # the Duck is 1.65 m long in metres


def test_a_round_trip_that_lost_the_texture_fails_and_costs_points(tmp_path):
    asset, verdicts, _, clean = graded_duck(tmp_path)
    lossy = copy.deepcopy(asset)
    for m in lossy.materials:
        m.base_color_texture = None
    trip = compare(normalised(read_asset(ASSETS / "Duck.glb")), lossy)

    report = grade(
        asset, fixes=[], verdicts=verdicts, round_trip=trip, target="glb", source_format="glb"
    )

    check = report.check("output.round_trip")
    assert check.result == "fail"
    assert "textures: 1 became 0" in check.message
    assert report.score <= clean.score - 20
    assert not report.engine_readiness["unreal"].ready
    assert not report.engine_readiness["web_threejs"].ready


def test_a_round_trip_that_lost_a_mesh_fails(tmp_path):
    box = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32),
        np.array([[0, 1, 2]], dtype=np.uint32),
    )
    two = Asset(
        [Node("a", mesh=0), Node("b", mesh=1)],
        [0, 1],
        [Mesh("a", [box]), Mesh("b", [copy.deepcopy(box)])],
        [Material("m")],
    )
    one = Asset([Node("a", mesh=0)], [0], [Mesh("a", [box])], [Material("m")])

    report = grade(
        two,
        fixes=[],
        verdicts=[],
        round_trip=compare(two, one),
        target="glb",
        source_format="obj",
    )

    assert report.check("output.round_trip").result == "fail"
    assert "triangles: 2 became 1" in report.check("output.round_trip").message


def test_validator_errors_fail_the_check_and_web_readiness(tmp_path):
    asset, _, trip, clean = graded_duck(tmp_path)
    bad = GltfVerdict(
        "2.0.0-dev.3.10",
        2,
        0,
        0,
        0,
        (GltfMessage("ACCESSOR_INDEX_OOB", "index out of range", "error"),),
        False,
    )

    report = grade(
        asset, fixes=[], verdicts=[bad], round_trip=trip, target="glb", source_format="glb"
    )

    check = report.check("output.gltf_validator")
    assert check.result == "fail" and "ACCESSOR_INDEX_OOB" in check.message
    assert report.score == clean.score - check.weight
    assert not report.engine_readiness["web_threejs"].ready
    failing = [c.name for c in report.engine_readiness["web_threejs"].checks if not c.ok]
    assert "gltf_validator_clean" in failing


def test_a_usdz_target_without_an_arkit_verdict_is_not_apple_ready(tmp_path):
    asset, _, trip, _ = graded_duck(tmp_path)

    report = grade(
        asset, fixes=[], verdicts=[], round_trip=trip, target="usdz", source_format="glb"
    )

    assert report.check("output.arkit").result == "skip"
    assert not report.engine_readiness["apple_ar"].ready
    assert report.engine_readiness["houdini"].ready


def test_checks_on_a_bad_asset_say_what_is_wrong():
    # a textured triangle soup, no UVs, no normals, 5 km wide, Z-up, not on the origin
    prim = Primitive(
        np.array([[1000, 0, 0], [6000, 0, 0], [1000, 10, 0], [2000, 0, 0]], dtype=np.float32),
        np.array([[0, 1, 2], [0, 0, 3]], dtype=np.uint32),
        material=0,
    )
    texture = read_asset(ASSETS / "Duck.glb").materials[0].base_color_texture
    asset = single_mesh_asset(Mesh("m", [prim]), [Material("m", base_color_texture=texture)], "Z")

    report = grade(asset, fixes=[], verdicts=[], round_trip=None, target="glb", source_format="stl")

    results = {c.id: c.result for c in report.checks}
    assert results["geometry.normals"] == "fail"
    assert results["geometry.uvs"] == "fail"
    assert results["geometry.degenerate_faces"] == "warn"
    assert results["geometry.open_edges"] == "warn"
    assert results["scene.scale"] == "warn"
    assert results["scene.origin"] == "warn"
    assert results["scene.y_up"] == "warn"
    assert results["output.round_trip"] == "skip"
    assert report.score < 80
    assert not any(r.ready for e, r in report.engine_readiness.items() if e != "houdini")


def test_the_document_has_the_seeds_fields_and_is_json(tmp_path):
    _, _, _, report = graded_duck(tmp_path)

    doc = json.loads(json.dumps(report_document(report)))

    assert set(doc) >= SEED_FIELDS
    assert doc["health_score"] == report.score and isinstance(doc["health_score"], int)
    assert doc["lod_variants"] == 3
    assert doc["collision_meshes_generated"] is True
    assert doc["physics_material_inferred"] == "plastic"
    assert set(doc["engine_readiness"]) == {"unreal", "houdini", "apple_ar", "web_threejs"}
    assert all(v is True for v in doc["engine_readiness"].values())
    assert doc["geometry"]["vertices"] == 2399
    assert doc["geometry"]["triangles"] == 4212
    assert doc["geometry"]["meshes"] == 1
    assert doc["score_version"] == "1"
    assert [c["id"] for c in doc["checks"]][:2] == ["geometry.non_empty", "geometry.finite"]
    assert all({"id", "version", "result", "message", "weight"} <= set(c) for c in doc["checks"])
    assert [lod["triangles"] for lod in doc["lods"]] == [level.triangles for level in report.lods]
    assert doc["physics_material_reason"].startswith("material 'blinn3-fx'")
    assert {c["name"] for c in doc["engine_checks"]["apple_ar"]} >= {
        "arkit_clean",
        "triangles_at_most_100000",
        "textures_at_most_2048_power_of_two",
    }


@pytest.mark.parametrize(
    ("name", "floor"),
    [("Duck.glb", 95), ("BoxTextured.glb", 90), ("CesiumMilkTruck.glb", 85), ("Fox.glb", 80)],
)
def test_corpus_files_grade_without_a_crash(tmp_path, name, floor):
    asset, fixes = repair(normalised(read_asset(ASSETS / name)))
    _, verdicts, trip = converted(asset, tmp_path)

    report = grade(
        asset, fixes=fixes, verdicts=verdicts, round_trip=trip, target="glb", source_format="glb"
    )

    assert report.score >= floor, [c for c in report.checks if c.result != "pass"]
    assert report.seconds < 30


def test_an_asset_without_triangles_scores_zero_and_no_engine_is_ready():
    report = grade(
        Asset([], [], [], []),
        fixes=[],
        verdicts=[],
        round_trip=None,
        target="glb",
        source_format="obj",
    )

    assert report.score == 0
    assert report.check("geometry.non_empty").result == "fail"
    assert not any(r.ready for r in report.engine_readiness.values())
    assert report.lods == [] and not report.collision.generated
    assert report_document(report)["collision_meshes_generated"] is False

"""Each kind of input the converter reads, to each target it writes, as a convert job runs
it (health.refine): every output judged by its format's own validator and read back equal.

The verdicts asserted are what a client's tools would say of the file it downloads: the
Khronos glTF-Validator finds no error in a GLB, OpenUSD's ARKit rules pass a USDZ,
UsdValidation finds no error in any USD, and the round trip lost no triangle, material or
texture beyond what the target's format cannot hold (OBJ's and FBX's packed maps, STL's
materials),
which the report states. An FBX (through Blender) is re-read by ufbx: meshes there, every
texture embedded, Y-up metres. A failure here names the input, the target and what went wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from health.refine import refine
from health.validators import ArkitVerdict, FbxVerdict, GltfVerdict, UsdValidationVerdict
from workers.config import Settings

ASSETS = Path(__file__).resolve().parents[1] / "assets"
INPUTS = {
    "glb": ASSETS / "Duck.glb",
    "gltf": ASSETS / "BoxTextured-embedded.gltf",
    "gltf-zip": ASSETS / "CesiumMan.zip",
    "obj-zip": ASSETS / "fuze.zip",
    "stl-binary": ASSETS / "teapot_binary.stl",
    "stl-ascii": ASSETS / "test_sphere_ascii.stl",
    "ply": ASSETS / "test_pos_color_ascii.ply",
    "dae": ASSETS / "teapot_instancenodes.DAE",
    "zae": ASSETS / "duck.zae",
    "fbx": ASSETS / "fbx" / "textured_cube_embedded.fbx",
    "usdz": ASSETS / "RoughnessTest.usdz",
    "usdc": ASSETS / "usd" / "MotionCaptureROM.usdc",
    "usd": ASSETS / "usd" / "UtahTeapot.usd",
}
TARGETS = ("glb", "usdz", "usdc", "usda", "obj", "stl", "fbx")
BLENDER = Settings(_env_file=None).blender_python  # type: ignore[call-arg]


def _problems(verdict: object) -> list[str]:
    if isinstance(verdict, GltfVerdict):
        return [f"glTF-Validator: {verdict.errors} errors"] if verdict.errors else []
    if isinstance(verdict, ArkitVerdict):
        return [] if verdict.ok else [f"ARKit: {verdict}"]
    if isinstance(verdict, UsdValidationVerdict):
        return [] if verdict.ok else [f"UsdValidation: {verdict}"]
    if isinstance(verdict, FbxVerdict):
        return [] if verdict.ok and verdict.y_up_metres else [f"ufbx: {verdict}"]
    raise AssertionError(f"unexpected verdict {verdict!r}")


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", INPUTS)
def test_each_input_to_each_target_passes_its_validators(
    kind: str, target: str, tmp_path: Path
) -> None:
    refined = refine(
        INPUTS[kind], tmp_path, target, thumbnail=False, blender_python=BLENDER, name="asset"
    )
    assert refined.output.is_file() and refined.output.stat().st_size > 0
    problems = [p for v in refined.verdicts for p in _problems(v)]
    problems += [f"round trip: {p}" for p in refined.round_trip.problems]
    assert not problems, f"{kind} → {target}: {problems}"
    expected = {"glb": 1, "usdz": 2, "usdc": 1, "usda": 1, "fbx": 1}.get(target, 0)
    assert len(refined.verdicts) == expected  # each output met its own checkers
    round_trip = refined.report.check("output.round_trip")
    if refined.round_trip.dropped:  # what the format cannot hold is said, never silent
        assert target in ("obj", "stl", "fbx") and round_trip.result == "warn"
        assert all(d in round_trip.message for d in refined.round_trip.dropped)
    else:
        assert round_trip.result == "pass"
    assert refined.document["geometry"]["triangles"] > 0

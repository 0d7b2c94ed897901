"""Every good input kind converted to every target and read back: the triangles, the
bounds, the materials and the textures a user would miss are all still there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from exchange.asset import TARGETS, compare, convert, normalised, read_asset
from renderer import load_scene

ASSETS = Path(__file__).resolve().parents[1] / "assets"
GOOD = {
    "Duck.glb": 1,
    "BoxTextured-embedded.gltf": 1,
    "CesiumMilkTruck.glb": 1,
    "CesiumMan.zip": 1,
    "cubevc.glb": 0,
    "fuze.zip": 1,
    "teapot_binary.stl": 0,
    "test_sphere_ascii.stl": 0,
    "test_pos_color_ascii.ply": 0,
    "teapot_instancenodes.DAE": 0,
}
"""Input → how many textures it brings (those the OBJ target also carries)."""
SUFFIX = {
    "glb": ".glb",
    "obj": ".zip",
    "stl": ".stl",
    "usdz": ".usdz",
    "usdc": ".usdc",
    "usda": ".usda",
}


@pytest.mark.parametrize("target", [t for t in TARGETS if t != "fbx"])  # Blender's: its own tests
@pytest.mark.parametrize("name", sorted(GOOD))
def test_conversion_keeps_the_asset(name: str, target: str, tmp_path: Path) -> None:
    out = tmp_path / f"out{SUFFIX[target]}"
    written = convert(ASSETS / name, out, target)
    back = normalised(read_asset(out))
    carries = target != "stl"
    trip = compare(written, back, materials=carries, textures=carries)
    assert trip.ok, trip.problems
    assert trip.before.triangles > 0
    assert trip.after.textures == (GOOD[name] if carries else 0)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_glb_output_loads_in_the_renderer(name: str, tmp_path: Path) -> None:
    written = convert(ASSETS / name, tmp_path / "out.glb", "glb")
    scene = load_scene(tmp_path / "out.glb")
    stack, drawn = list(scene.roots), 0
    while stack:
        node = scene.nodes[stack.pop()]
        stack.extend(node.children)
        if node.mesh is not None:
            drawn += sum(len(p.indices) for p in scene.meshes[node.mesh].primitives)
    assert drawn == 3 * sum(len(p.indices) for _, p in written.placed())
    assert len(scene.images) == GOOD[name]


def test_textures_keep_their_bytes(tmp_path: Path) -> None:
    source = read_asset(ASSETS / "Duck.glb")
    convert(ASSETS / "Duck.glb", tmp_path / "duck.zip", "obj")
    back = read_asset(tmp_path / "duck.zip")
    assert [t.data for t in back.textures()] == [t.data for t in source.textures()]
    assert back.textures()[0].mime == "image/png"


def test_uvs_survive_the_obj_round_trip(tmp_path: Path) -> None:
    written = convert(ASSETS / "fuze.zip", tmp_path / "a.glb", "glb")
    convert(tmp_path / "a.glb", tmp_path / "b.zip", "obj")
    back = normalised(read_asset(tmp_path / "b.zip"))
    uv_a = np.sort(np.concatenate([p.uvs for _, p in written.placed() if p.uvs is not None]), 0)
    uv_b = np.sort(np.concatenate([p.uvs for _, p in back.placed() if p.uvs is not None]), 0)
    assert uv_a.shape == uv_b.shape
    assert np.abs(uv_a - uv_b).max() < 1e-5


def test_a_lost_texture_is_reported(tmp_path: Path) -> None:
    """OBJ has no slot for glTF's occlusion or packed metal/roughness maps: the round
    trip says so instead of passing."""
    written = convert(ASSETS / "AlphaBlendModeTest.glb", tmp_path / "a.zip", "obj")
    trip = compare(written, normalised(read_asset(tmp_path / "a.zip")))
    assert not trip.ok
    assert trip.problems == ["textures: 4 became 3"]


def test_a_lost_mesh_is_reported(tmp_path: Path) -> None:
    written = convert(ASSETS / "CesiumMilkTruck.glb", tmp_path / "a.glb", "glb")
    back = read_asset(tmp_path / "a.glb")
    back.meshes[0].primitives.pop()
    trip = compare(written, back)
    assert any(p.startswith("triangles:") for p in trip.problems)

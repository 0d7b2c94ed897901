"""Opacity as the files mean it: a glTF material in OPAQUE mode is opaque whatever its
factor's alpha (Blender's FBX → glTF export writes alpha 0 with OPAQUE), an MTL's ``d`` is
its opacity, and ``Tr`` is 1 − d except the "Tr 1" that MeshLab writes for an opaque
material (trimesh and Blender read it as opaque too)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from exchange.asset import read_asset

QUAD = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3\nf 1 3 4\n"


def _glb(path: Path, material: dict) -> Path:
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(positions)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 3,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            }
        ],
        "materials": [material],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "material": 0}]}],
        "nodes": [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
    }
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    body += struct.pack("<II", len(positions), 0x004E4942) + positions
    path.write_bytes(struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body)
    return path


@pytest.mark.parametrize(("mode", "alpha"), [(None, 1.0), ("OPAQUE", 1.0), ("BLEND", 0.25)])
def test_gltf_alpha_counts_only_outside_opaque_mode(
    mode: str | None, alpha: float, tmp_path: Path
) -> None:
    material: dict = {"pbrMetallicRoughness": {"baseColorFactor": [0.5, 0.6, 0.9, 0.25]}}
    if mode:
        material["alphaMode"] = mode
    asset = read_asset(_glb(tmp_path / "m.glb", material))
    assert asset.materials[0].base_color == pytest.approx((0.5, 0.6, 0.9, alpha))


@pytest.mark.parametrize(
    ("lines", "alpha"),
    [("d 0.4", 0.4), ("Tr 0.25", 0.75), ("Tr 1.000000", 1.0), ("d 0.5\nTr 1.0", 0.5)],
)
def test_mtl_opacity(lines: str, alpha: float, tmp_path: Path) -> None:
    (tmp_path / "m.mtl").write_text(f"newmtl skin\nKd 1 0 0\n{lines}\n")
    (tmp_path / "m.obj").write_text(f"mtllib m.mtl\nusemtl skin\n{QUAD}")
    asset = read_asset(tmp_path / "m.obj")
    assert asset.materials[0].base_color[3] == pytest.approx(alpha)

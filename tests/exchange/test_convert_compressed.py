"""Draco- and meshopt-compressed glTF is decoded, not refused: the GLB it converts to is
valid and holds the same box as the uncompressed original."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from exchange.asset import Asset, convert, read_asset, summary
from exchange.errors import AssetInvalid
from health.validators import validate_gltf

ASSETS = Path(__file__).resolve().parents[1] / "assets"
COMPRESSED = {"BoxTextured-draco.glb": 1, "BoxMeshopt.glb": 0}
"""Compressed input → the textures it brings."""


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_compressed_input_converts_to_a_valid_glb(name: str, tmp_path: Path) -> None:
    original = summary(convert(ASSETS / "BoxTextured.glb", tmp_path / "plain.glb", "glb"))
    written = convert(ASSETS / name, tmp_path / "out.glb", "glb")
    verdict = validate_gltf(tmp_path / "out.glb")
    assert verdict.errors == 0, verdict.messages
    back = summary(read_asset(tmp_path / "out.glb"))
    assert back == summary(written)
    assert back.triangles == original.triangles == 12
    assert back.bounds is not None and original.bounds is not None
    assert np.allclose(back.bounds, original.bounds, atol=1e-3)
    assert back.textures == COMPRESSED[name]


def test_draco_keeps_the_texture_coordinates() -> None:
    """Draco quantises UVs: each corner's UV is the original's within that step."""
    plain, draco = (read_asset(ASSETS / n) for n in ("BoxTextured.glb", "BoxTextured-draco.glb"))

    def corners(asset: Asset) -> np.ndarray:
        rows = []
        for _, p in asset.placed():
            assert p.uvs is not None
            corner = p.indices.reshape(-1)
            rows.append(np.hstack([p.positions[corner], p.uvs[corner]]))
        out = np.concatenate(rows)
        return out[np.lexsort(np.round(out, 2).T[::-1])]

    a, b = corners(plain), corners(draco)
    assert a.shape == b.shape == (36, 5)
    assert np.abs(a - b).max() < 2e-3


def _glb_with_json(source: Path, edit: Callable[[dict[str, Any]], None]) -> bytes:
    data = source.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + length])
    edit(doc)
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    rest = data[20 + length :]
    head = struct.pack("<III", 0x46546C67, 2, 12 + 8 + len(text) + len(rest))
    return head + struct.pack("<II", len(text), 0x4E4F534A) + text + rest


def test_draco_data_that_does_not_decode_is_refused(tmp_path: Path) -> None:
    """The Draco primitive pointed at the image's bytes instead of its bitstream."""

    def edit(doc: dict[str, Any]) -> None:
        prim = doc["meshes"][0]["primitives"][0]
        prim["extensions"]["KHR_draco_mesh_compression"]["bufferView"] = doc["images"][0][
            "bufferView"
        ]

    (tmp_path / "bad.glb").write_bytes(_glb_with_json(ASSETS / "BoxTextured-draco.glb", edit))
    with pytest.raises(AssetInvalid, match="Draco"):
        read_asset(tmp_path / "bad.glb")


def test_draco_data_that_disagrees_with_its_accessors_is_refused(tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        prim = doc["meshes"][0]["primitives"][0]
        doc["accessors"][prim["attributes"]["POSITION"]]["count"] -= 1

    (tmp_path / "bad.glb").write_bytes(_glb_with_json(ASSETS / "BoxTextured-draco.glb", edit))
    with pytest.raises(AssetInvalid, match="Draco POSITION does not match"):
        read_asset(tmp_path / "bad.glb")

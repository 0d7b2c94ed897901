"""The container a .glb or .gltf becomes: its buffers found and its bufferViews in them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import hostile_models as hm
import pytest

from exchange import AssetInvalid, AssetLimits, AssetTooLarge, AssetUnsupported, open_asset

URI = "data:application/octet-stream;base64," + base64.b64encode(hm.TRIANGLE).decode()


def _open(tmp_path: Path, name: str, data: bytes, limits: AssetLimits | None = None):
    path = tmp_path / name
    path.write_bytes(data)
    with open_asset(path, limits or AssetLimits()) as container:
        return container


def _gltf(**patch: object) -> bytes:
    return json.dumps(hm.triangle_doc(buffers=[{"byteLength": 36, "uri": URI}], **patch)).encode()


def test_a_glb_and_its_bin_chunk(tmp_path: Path) -> None:
    c = _open(tmp_path, "m.glb", hm.glb(hm.triangle_doc(), hm.TRIANGLE))
    assert c.name == "m.glb" and c.document["asset"]["version"] == "2.0"
    assert c.buffers[0] is not None and c.buffers[0].read() == hm.TRIANGLE
    assert c.data_bytes == c.json_bytes + 36
    view = c.view_blob(0)
    assert view is not None and view.read() == hm.TRIANGLE


def test_the_kind_follows_the_suffix(tmp_path: Path) -> None:
    glb = hm.glb(hm.triangle_doc(), hm.TRIANGLE)
    with pytest.raises(AssetInvalid, match="JSON is not valid"):
        _open(tmp_path, "m.gltf", glb)
    assert _open(tmp_path, "model", glb).buffers[0] is not None  # no suffix: sniffed


def test_empty_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(AssetInvalid, match="the file is empty"):
        _open(tmp_path, "m.glb", b"")
    with pytest.raises(AssetTooLarge, match="the limit is 100"):
        _open(tmp_path, "m.gltf", _gltf(), AssetLimits(max_file_bytes=100))
    with pytest.raises(AssetTooLarge, match="glTF JSON file is too large"):
        _open(tmp_path, "m.gltf", _gltf(), AssetLimits(max_json_bytes=100))


def test_only_gltf_2(tmp_path: Path) -> None:
    for asset in ({"version": "1.0"}, None, "2.0"):
        with pytest.raises(AssetUnsupported, match=r"asset\.version must be 2\.x"):
            _open(tmp_path, "m.gltf", _gltf(asset=asset))


@pytest.mark.parametrize(
    ("buffers", "needle"),
    [
        ([{"byteLength": 36}], r"buffers\[0\] has no data"),
        ([{"byteLength": 0, "uri": URI}], r"buffers\[0\].byteLength must be an integer >= 1"),
        ([{"byteLength": 40, "uri": URI}], "shorter than its byteLength"),
        ([{"byteLength": 36, "uri": 3}], "uri must be a string"),
        ("nope", "'buffers' must be an array of objects"),
    ],
)
def test_buffers(tmp_path: Path, buffers: object, needle: str) -> None:
    with pytest.raises(AssetInvalid, match=needle):
        _open(tmp_path, "m.gltf", json.dumps(hm.triangle_doc(buffers=buffers)).encode())


def test_only_buffer_0_is_the_bin_chunk(tmp_path: Path) -> None:
    doc = hm.triangle_doc(buffers=[{"byteLength": 36}, {"byteLength": 4}])
    with pytest.raises(AssetInvalid, match=r"buffers\[1\] has no data"):
        _open(tmp_path, "m.glb", hm.glb(doc, hm.TRIANGLE))
    doc = hm.triangle_doc(buffers=[{"byteLength": 40}])
    with pytest.raises(AssetInvalid, match="GLB BIN has fewer"):
        _open(tmp_path, "m.glb", hm.glb(doc, hm.TRIANGLE))


def test_a_meshopt_fallback_buffer_holds_nothing(tmp_path: Path) -> None:
    fallback = {"byteLength": 64, "extensions": {"EXT_meshopt_compression": {"fallback": True}}}
    doc = hm.triangle_doc(buffers=[{"byteLength": 36}, fallback])
    doc["bufferViews"].append({"buffer": 1, "byteLength": 64})
    c = _open(tmp_path, "m.glb", hm.glb(doc, hm.TRIANGLE))
    assert c.buffers[1] is None and c.view_blob(1) is None


@pytest.mark.parametrize(
    ("view", "needle"),
    [
        ({"buffer": 1, "byteLength": 4}, r"bufferViews\[1\].buffer 1 is out of range"),
        ({"buffer": 0, "byteOffset": 30, "byteLength": 8}, "runs past the end of buffer 0"),
        ({"buffer": 0, "byteLength": 0}, "byteLength must be an integer >= 1"),
        ({"buffer": 0, "byteLength": 8, "byteStride": 2}, "byteStride must be an integer >= 4"),
        ({"buffer": 0, "byteLength": 8, "byteStride": 256}, "larger than 252"),
        ({"buffer": 0, "byteOffset": -4, "byteLength": 8}, "byteOffset must be an integer"),
    ],
)
def test_buffer_views(tmp_path: Path, view: dict, needle: str) -> None:
    doc = hm.triangle_doc()
    doc["bufferViews"].append(view)
    with pytest.raises(AssetInvalid, match=needle):
        _open(tmp_path, "m.glb", hm.glb(doc, hm.TRIANGLE))


def test_image_bytes(tmp_path: Path) -> None:
    png = hm.png(4, 4)
    c = _open(tmp_path, "m.glb", hm.textured_glb(png))
    assert c.image_blob(0, "images[0]").read() == png
    doc = hm.triangle_doc(images=[{"name": "nothing"}])
    c = _open(tmp_path, "m.glb", hm.glb(doc, hm.TRIANGLE))
    with pytest.raises(AssetInvalid, match="neither uri nor bufferView"):
        c.image_blob(0, "images[0]")

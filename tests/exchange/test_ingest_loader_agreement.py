"""The upload check and the renderer's loader agree on every model of the test corpus,
and on the hostile files of the upload tests.

Whatever one accepts and the other refuses would be charged at upload and fail at render
(or be refused though it renders). Each file goes through the upload's check and the
loader as :mod:`agreement` runs them; both must accept the good files and refuse the bad
ones. What the document means is test_document_agreement's.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import hostile_models as hm
import pytest
from agreement import ASSETS, both

from broker.ingest.validate import upload_format

MODELS = sorted(
    p
    for folder in (ASSETS, ASSETS / "bad")
    for p in folder.iterdir()
    if p.is_file() and upload_format(p.name) is not None
)


def test_the_corpus_has_good_and_bad_models() -> None:
    names = {p.relative_to(ASSETS).as_posix() for p in MODELS}
    assert {"Duck.glb", "fuze.zip", "CesiumMan.zip", "BoxTextured-embedded.gltf"} <= names
    assert sum(1 for n in names if n.startswith("bad/")) >= 9
    assert "backdrop.png" not in names


def _assert_agree(path: Path, work: Path, *, should_refuse: bool) -> None:
    refused_at_upload, refused_at_render = both(path, work)
    assert (refused_at_upload is not None) == should_refuse, refused_at_upload
    assert (refused_at_render is not None) == should_refuse, refused_at_render


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.relative_to(ASSETS).as_posix())
def test_upload_check_and_loader_agree(path: Path, tmp_path: Path) -> None:
    _assert_agree(path, tmp_path, should_refuse=path.parent.name == "bad")


def _textured_gltf_zip(image: bytes) -> bytes:
    doc = hm.triangle_doc(
        images=[{"uri": "tex.png"}],
        textures=[{"source": 0}],
        materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
    )
    doc["meshes"][0]["primitives"][0]["material"] = 0
    return hm.zip_bytes({"m.gltf": hm.gltf_json(doc), "tex.png": image})


def _sparse_index_glb(sparse_index: int) -> bytes:
    """The triangle with its second vertex moved by a sparse substitute at ``sparse_index``."""
    doc = hm.triangle_doc()
    doc["bufferViews"] += [
        {"buffer": 0, "byteOffset": 36, "byteLength": 4},
        {"buffer": 0, "byteOffset": 40, "byteLength": 12},
    ]
    doc["accessors"][0]["sparse"] = {
        "count": 1,
        "indices": {"bufferView": 1, "componentType": 5125},
        "values": {"bufferView": 2},
    }
    return hm.glb(doc, hm.TRIANGLE + struct.pack("<I3f", sparse_index, 2, 0, 0))


def _narrow_stride_glb() -> bytes:
    doc = hm.triangle_doc()
    doc["bufferViews"][0]["byteStride"] = 4  # VEC3 float elements are 12 bytes
    doc["accessors"][0]["count"] = 1
    return hm.glb(doc, hm.TRIANGLE)


def _unpadded_glb() -> bytes:
    """A JSON chunk of 4n + 1 bytes followed at once by the BIN chunk."""
    raw = json.dumps(hm.triangle_doc(buffers=[{"byteLength": 36}])).encode()
    raw += b" " * ((-len(raw) % 4) + 1)
    chunks = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    chunks += struct.pack("<II", 36, 0x004E4942) + hm.TRIANGLE
    return b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks


def _data_uri_gltf(uri: str) -> bytes:
    doc = json.loads(hm.gltf_json())
    doc["buffers"][0]["uri"] = uri
    return json.dumps(doc).encode()


PLAIN = base64.b64encode(hm.TRIANGLE).decode()
HOSTILE = {
    "textures-within-limits.glb": (hm.textured_glb(hm.png(64, 64), images=3), False),
    "twelve-8192-images.glb": (hm.textured_glb(hm.png_header(8192, 8192), images=12), True),
    "wide-texture.glb": (hm.textured_glb(hm.png_header(8193, 16)), True),
    "png-bomb.glb": (hm.textured_glb(hm.png(30000, 30000, gray1=True)), True),
    "junk-image.glb": (hm.textured_glb(b"not an image " * 64), True),
    "truncated-png.glb": (hm.textured_glb(hm.png(64, 64)[:-20]), True),
    "gif.glb": (hm.textured_glb(b"GIF89a" + b"\0" * 64), True),
    "zip-texture-9000.zip": (_textured_gltf_zip(hm.png_header(9000, 9000)), True),
    "zip-texture-ok.zip": (_textured_gltf_zip(hm.png(16, 16)), False),
    "zero-accessor.glb": (hm.zero_accessor_glb(100_000_000), True),
    "count-2-31.glb": (hm.zero_accessor_glb(2**31, attribute="TEXCOORD_0", kind="VEC2"), True),
    "sparse-bomb.glb": (hm.sparse_accessor_glb(50_000_000), True),
    "small-sparse.glb": (hm.sparse_accessor_glb(3), False),
    "sparse-index-inside.glb": (_sparse_index_glb(1), False),
    "sparse-index-past.glb": (_sparse_index_glb(3), True),
    "narrow-stride.glb": (_narrow_stride_glb(), True),
    "colour-count.glb": (hm.zero_accessor_glb(4), True),
    "4001000-triangles.glb": (hm.instanced_glb(1000, 4001), True),
    "unpadded-chunk.glb": (_unpadded_glb(), True),
    "100-deep.gltf": (hm.deep_json(100), True),
    "5000-digits.gltf": (hm.big_int_json(5000), True),
    "base64.gltf": (_data_uri_gltf(f"data:application/gltf-buffer;base64,{PLAIN}"), False),
    "base64-with-junk.gltf": (
        _data_uri_gltf(f"data:application/gltf-buffer;base64,{PLAIN}!"),
        True,
    ),
    "percent-data-uri.gltf": (_data_uri_gltf("data:application/gltf-buffer,%00%01"), True),
    "http-buffer.gltf": (_data_uri_gltf("http://example.com/triangle.bin"), True),
    "points-only.gltf": (hm.triangle_gltf(mode=0), True),
    "triangle-strip.gltf": (hm.triangle_gltf(mode=5), False),
    "triangle-fan.gltf": (hm.triangle_gltf(mode=6), False),
    "hidden-mesh.gltf": (
        hm.triangle_gltf(extensions={"KHR_node_visibility": {"visible": False}}),
        True,
    ),
    "own-child.gltf": (hm.triangle_gltf(children=[0]), True),
    "zip-escape.zip": (
        hm.zip_bytes({"m/m.gltf": _data_uri_gltf("../t.bin"), "t.bin": hm.TRIANGLE}),
        True,
    ),
    "zip-gltf-and-obj.zip": (
        hm.zip_bytes({"m.gltf": hm.gltf_json(), "m.obj": hm.OBJ_TRIANGLE}),
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_upload_check_and_loader_agree_on_hostile_files(name: str, tmp_path: Path) -> None:
    payload, should_refuse = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(payload)
    _assert_agree(path, tmp_path, should_refuse=should_refuse)

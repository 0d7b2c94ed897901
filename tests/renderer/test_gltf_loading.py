"""Loading glTF: every container, the features the renderer needs, and hostile input."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from exchange import AssetLimits
from renderer import InvalidModel, ModelTooLarge, Scene, UnsupportedModel, load_scene
from renderer.gltf_materials import uv_transform


@pytest.mark.parametrize(
    ("name", "triangles", "images"),
    [
        ("Duck.glb", 4212, 1),
        ("BoxTextured.glb", 12, 1),
        ("BoxTextured-draco.glb", 12, 1),
        ("BoxTextured-embedded.gltf", 12, 1),
        ("Fox.glb", 576, 1),
        ("CesiumMilkTruck.glb", 3624, 1),
        ("cubevc.glb", 48, 0),
        ("AlphaBlendModeTest.glb", 61, 9),
        ("AnimatedMorphCube.zip", 12, 0),
        ("CesiumMan.zip", 4672, 1),
    ],
)
def test_assets_load(scene: Callable[[str], Scene], name: str, triangles: int, images: int) -> None:
    s = scene(name)
    assert s.triangle_count == triangles
    assert len(s.images) == images
    for mesh in s.meshes:
        for p in mesh.primitives:
            assert p.positions.dtype == np.float32 and p.normals.shape == p.positions.shape
            assert np.allclose(np.linalg.norm(p.normals, axis=1), 1.0, atol=1e-3)
            assert p.indices.max() < len(p.positions)


def test_draco_twin_has_the_same_geometry(scene: Callable[[str], Scene]) -> None:
    plain = scene("BoxTextured.glb").meshes[0].primitives[0]
    draco = scene("BoxTextured-draco.glb").meshes[0].primitives[0]
    tri_plain = np.sort(plain.positions[plain.indices].reshape(-1, 9).round(4), axis=0)
    tri_draco = np.sort(draco.positions[draco.indices].reshape(-1, 9).round(4), axis=0)
    assert np.allclose(np.sort(tri_plain.ravel()), np.sort(tri_draco.ravel()), atol=1e-3)


def test_features_are_read(scene: Callable[[str], Scene]) -> None:
    fox = scene("Fox.glb")
    assert [a.name for a in fox.animations] == ["Survey", "Walk", "Run"]
    assert fox.skins and fox.meshes[0].primitives[0].joints is not None
    cube = scene("AnimatedMorphCube.zip")
    assert len(cube.meshes[0].primitives[0].targets) == 2
    assert scene("cubevc.glb").meshes[0].primitives[0].color0 is not None
    modes = {m.alpha_mode for m in scene("AlphaBlendModeTest.glb").materials}
    assert modes == {"OPAQUE", "MASK", "BLEND"}
    sampled = scene("Duck.glb").images[0].pixels
    assert sampled.dtype == np.uint8 and sampled.shape[2] == 4


def test_missing_normals_become_flat_normals(make_gltf: Callable[..., Path]) -> None:
    prim = load_scene(make_gltf()).meshes[0].primitives[0]
    assert np.allclose(prim.normals, [0, 0, 1])
    assert len(prim.positions) == 6  # unwelded so each face keeps its own normal


def test_texture_transform_matrix() -> None:
    m = uv_transform({"offset": [0.5, 0.0], "scale": [2.0, 2.0], "rotation": 0.0})
    assert np.allclose(m @ [0.25, 0.25, 1.0], [1.0, 0.5, 1.0])


def test_spec_gloss_and_emissive_strength(make_gltf: Callable[..., Path]) -> None:
    materials = [
        {
            "extensions": {
                "KHR_materials_pbrSpecularGlossiness": {
                    "diffuseFactor": [0.5, 0.5, 0.5, 1],
                    "specularFactor": [0.04, 0.04, 0.04],
                    "glossinessFactor": 0.8,
                },
                "KHR_materials_emissive_strength": {"emissiveStrength": 4.0},
            },
            "emissiveFactor": [1, 0.5, 0],
        }
    ]
    path = make_gltf(
        extra={
            "materials": materials,
            "extensionsUsed": [
                "KHR_materials_pbrSpecularGlossiness",
                "KHR_materials_emissive_strength",
            ],
        }
    )
    doc = json.loads(path.read_text())
    doc["meshes"][0]["primitives"][0]["material"] = 0
    path.write_text(json.dumps(doc))
    mat = load_scene(path).materials[0]
    assert mat.base_color_factor[:3] == pytest.approx((0.5, 0.5, 0.5))
    assert mat.metallic_factor == 0 and mat.roughness_factor == pytest.approx(0.2)
    assert mat.emissive_factor == pytest.approx((4.0, 2.0, 0.0))


def test_unknown_optional_extension_warns(make_gltf: Callable[..., Path]) -> None:
    s = load_scene(make_gltf(extra={"extensionsUsed": ["VENDOR_magic"]}))
    assert any("VENDOR_magic" in w for w in s.warnings)


def test_unhonourable_required_extension_is_a_clear_error(make_gltf: Callable[..., Path]) -> None:
    path = make_gltf(
        extra={
            "extensionsUsed": ["EXT_made_up_by_a_test"],
            "extensionsRequired": ["EXT_made_up_by_a_test"],
        }
    )
    with pytest.raises(UnsupportedModel, match="EXT_made_up_by_a_test"):
        load_scene(path)


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("bad/BoxWithInfinites.glb", InvalidModel, "NaN or infinite"),
        ("bad/MissingBin-BoxTextured.gltf", InvalidModel, "missing"),
        ("bad/RecursiveNodes.gltf", InvalidModel, "cycle"),
        ("bad/empty_file.glb", InvalidModel, "empty"),
        ("bad/index_buffer_oob.zip", InvalidModel, "past its 4 vertices"),
        ("bad/integer-out-of-bounds.zip", InvalidModel, "bufferView"),
        ("bad/invalid_magic.glb", InvalidModel, "magic"),
        ("bad/invalid_syntax.gltf", InvalidModel, "JSON"),
        ("bad/truncated_chunk_data.glb", InvalidModel, "bytes"),
    ],
)
def test_bad_files_raise_clear_errors(
    asset: Callable[[str], Path], name: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        load_scene(asset(name))


def test_no_geometry(make_gltf: Callable[..., Path]) -> None:
    with pytest.raises(InvalidModel, match="no node of the model's scene draws a mesh"):
        load_scene(make_gltf(extra={"nodes": [{"name": "empty"}]}))


def test_ten_million_triangles_are_refused_before_decoding(make_gltf: Callable[..., Path]) -> None:
    with pytest.raises(ModelTooLarge, match="triangles"):
        load_scene(make_gltf(index_count=30_000_000))
    assert AssetLimits().max_triangles < 10_000_000


def test_absurd_texture_claim_is_refused(
    make_gltf: Callable[..., Path], png_header: Callable[[int, int], bytes]
) -> None:
    with pytest.raises(ModelTooLarge, match="pixels"):
        load_scene(make_gltf(image=png_header(30_000, 30_000)))


def test_unsupported_image(make_gltf: Callable[..., Path]) -> None:
    with pytest.raises(UnsupportedModel, match="image"):
        load_scene(make_gltf(image=b"GIF89a" + b"\0" * 64))


def test_zip_with_external_files_and_escapes(tmp_path: Path, asset: Callable[[str], Path]) -> None:
    gltf = json.loads(asset("BoxTextured-embedded.gltf").read_text())
    ok = tmp_path / "ok.zip"
    buffer_uri = gltf["buffers"][0]["uri"]
    import base64

    with zipfile.ZipFile(ok, "w") as z:
        z.writestr("model/data/box.bin", base64.b64decode(buffer_uri.split(",", 1)[1]))
        gltf["buffers"][0]["uri"] = "data/box%2Ebin"
        z.writestr("model/box.gltf", json.dumps(gltf))
    assert load_scene(ok).triangle_count == 12
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        gltf["buffers"][0]["uri"] = "../../etc/passwd"
        z.writestr("box.gltf", json.dumps(gltf))
    with pytest.raises(InvalidModel, match="outside"):
        load_scene(evil)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.gltf", "{}")
        z.writestr("b.glb", "")
    with pytest.raises(InvalidModel, match="one model"):
        load_scene(two)


def test_zip_without_gltf_is_unsupported(asset: Callable[[str], Path]) -> None:
    with pytest.raises(UnsupportedModel, match=r"no \.gltf"):
        load_scene(asset("fuze.zip"))


def test_mesh_quantization_integer_attributes(tmp_path: Path) -> None:
    """KHR_mesh_quantization: int16 positions (not normalized), normalized uint8 UVs."""
    import base64

    pos = np.array([[0, 0, 0], [100, 0, 0], [100, 100, 0], [0, 100, 0]], np.int16)
    uv = np.array([[0, 255], [255, 255], [255, 0], [0, 0]], np.uint8)
    idx = np.array([0, 1, 2, 0, 2, 3], np.uint16)
    pos_bytes = np.concatenate(
        [pos, np.zeros((4, 1), np.int16)], axis=1
    ).tobytes()  # 4-byte aligned
    blob = idx.tobytes() + pos_bytes + uv.tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "extensionsUsed": ["KHR_mesh_quantization"],
        "extensionsRequired": ["KHR_mesh_quantization"],
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "scale": [0.01, 0.01, 0.01]}],
        "meshes": [
            {"primitives": [{"attributes": {"POSITION": 1, "TEXCOORD_0": 2}, "indices": 0}]}
        ],
        "buffers": [
            {
                "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
                "byteLength": len(blob),
            }
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 12},
            {"buffer": 0, "byteOffset": 12, "byteLength": 32, "byteStride": 8},
            {"buffer": 0, "byteOffset": 44, "byteLength": 8},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5123, "count": 6, "type": "SCALAR"},
            {"bufferView": 1, "componentType": 5122, "count": 4, "type": "VEC3"},
            {
                "bufferView": 2,
                "componentType": 5121,
                "normalized": True,
                "count": 4,
                "type": "VEC2",
            },
        ],
    }
    path = tmp_path / "quantized.gltf"
    path.write_text(json.dumps(doc))
    s = load_scene(path)
    prim = s.meshes[0].primitives[0]
    assert prim.positions.dtype == np.float32 and prim.positions.max() == 100.0
    assert prim.uv0 is not None and prim.uv0.max() == 1.0 and prim.uv0.min() == 0.0
    assert not s.warnings

"""The upload check and the renderer's loader agree on every model of the test corpus,
and on the hostile files of the upload tests.

Whatever one accepts and the other refuses would be charged at upload and fail at render
(or be refused though it renders). Each file goes through the upload's check as
``broker/services/uploads.py`` calls it, and the stored result (the converted GLB of an OBJ
scan) through ``load_scene`` in a folder of its own, as a worker downloads it; both must
accept the good files and refuse the bad ones.
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
from pathlib import Path

import hostile_models as hm
import pytest

from broker.ingest.limits import ModelLimits
from broker.ingest.validate import ModelInvalid, accept_model, upload_format
from exchange import AssetLimits
from renderer import SceneError, load_scene
from workers.config import Settings

ASSETS = Path(__file__).resolve().parents[1] / "assets"
MODELS = sorted(
    p
    for folder in (ASSETS, ASSETS / "bad")
    for p in folder.iterdir()
    if p.is_file() and upload_format(p.name) is not None
)


def _upload(path: Path, work: Path, limits: ModelLimits) -> tuple[Path | None, str | None]:
    """What the upload stores (None when it refuses), and its refusal."""
    staged = work / "staged" / path.name
    staged.parent.mkdir()
    shutil.copyfile(path, staged)
    fmt = upload_format(path.name)
    assert fmt is not None
    try:
        accepted = accept_model(staged, fmt, tmp_dir=work, limits=limits)
    except ModelInvalid as exc:
        return None, str(exc)
    return accepted.path, None


def _render_load(path: Path, work: Path, limits: AssetLimits) -> str | None:
    """The loader's refusal of ``path`` downloaded alone into a worker's folder."""
    model = work / "render" / f"model{path.suffix.lower()}"
    model.parent.mkdir()
    shutil.copyfile(path, model)
    try:
        load_scene(model, limits)
    except SceneError as exc:
        return str(exc)
    return None


def test_the_corpus_has_good_and_bad_models() -> None:
    names = {p.relative_to(ASSETS).as_posix() for p in MODELS}
    assert {"Duck.glb", "fuze.zip", "CesiumMan.zip", "BoxTextured-embedded.gltf"} <= names
    assert sum(1 for n in names if n.startswith("bad/")) >= 9
    assert "backdrop.png" not in names


def _assert_agree(path: Path, work: Path, *, should_refuse: bool) -> None:
    limits = ModelLimits.from_settings(Settings())
    stored, refused_at_upload = _upload(path, work, limits)
    refused_at_render = _render_load(stored or path, work, limits)
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


def _triangle_gltf(mode: int | None = None, **node: object) -> bytes:
    """The triangle .gltf, its primitive drawn in ``mode``, its node patched with ``node``."""
    doc = json.loads(hm.gltf_json())
    if mode is not None:
        doc["meshes"][0]["primitives"][0]["mode"] = mode
    doc["nodes"][0].update(node)
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
    "points-only.gltf": (_triangle_gltf(mode=0), True),
    "triangle-strip.gltf": (_triangle_gltf(mode=5), False),
    "triangle-fan.gltf": (_triangle_gltf(mode=6), False),
    "hidden-mesh.gltf": (
        _triangle_gltf(extensions={"KHR_node_visibility": {"visible": False}}),
        True,
    ),
    "own-child.gltf": (_triangle_gltf(children=[0]), True),
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


# -- what the document means: each case the upload used to accept and the loader refuse (or
# the other way round), refused by both with the same message; and valid twins of each.

INSTANCING = "EXT_mesh_gpu_instancing"
NAN = float("nan")


def _mesh_attribute_glb(name: str, block: tuple[bytes, dict[str, object]]) -> bytes:
    doc = hm.triangle_doc()
    doc["meshes"][0]["primitives"][0]["attributes"][name] = 1
    return hm.with_accessors(doc, block)


def _float_indices_glb() -> bytes:
    doc = hm.triangle_doc()
    doc["meshes"][0]["primitives"][0]["indices"] = 1
    return hm.with_accessors(doc, hm.floats("SCALAR", 0, 1, 2))


def _skin_glb(*matrix: float) -> bytes:
    doc = hm.triangle_doc(skins=[{"joints": [0], "inverseBindMatrices": 1}])
    return hm.with_accessors(doc, hm.floats("MAT4", *matrix))


IDENTITY = (1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)


def _animated_glb(path: str, output: tuple[bytes, dict[str, object]], sampler: int = 0) -> bytes:
    channel = {"sampler": sampler, "target": {"node": 0, "path": path}}
    doc = hm.triangle_doc(
        animations=[{"channels": [channel], "samplers": [{"input": 1, "output": 2}]}]
    )
    return hm.with_accessors(doc, hm.floats("SCALAR", 0, 1), output)


def _textured_gltf(info: dict[str, object], texture: dict[str, object] | None = None) -> bytes:
    uri = "data:image/png;base64," + base64.b64encode(hm.png(4, 4)).decode()
    material = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0, **info}}}
    textures = [texture or {"source": 0}]
    return hm.material_gltf(material, images=[{"uri": uri}], textures=textures)


def _material(**extensions: dict[str, object]) -> bytes:
    return hm.material_gltf({"extensions": extensions}, extensionsUsed=sorted(extensions))


def _patched(asset: str, patch: object) -> bytes:
    return hm.patch_glb((ASSETS / asset).read_bytes(), patch)


def _meshopt(**values: object) -> object:
    def patch(doc: dict) -> None:
        for view in doc["bufferViews"]:
            view.get("extensions", {}).get("EXT_meshopt_compression", {}).update(values)

    return patch


def _draco_view(view: int) -> object:
    def patch(doc: dict) -> None:
        for mesh in doc["meshes"]:
            for prim in mesh["primitives"]:
                prim["extensions"]["KHR_draco_mesh_compression"]["bufferView"] = view

    return patch


SPOT = {"type": "spot", "spot": {"innerConeAngle": 0.1, "outerConeAngle": 0.5}}
VOLUME = {"thicknessFactor": 0.5, "attenuationDistance": 2.0, "attenuationColor": [1, 0.5, 0.5]}
MEANING: dict[str, tuple[bytes, str | None]] = {
    "light-point.gltf": (hm.lit_gltf({"type": "point", "intensity": 2, "range": 5}), None),
    "light-spot.gltf": (hm.lit_gltf(SPOT), None),
    "light-negative.gltf": (
        hm.lit_gltf({"type": "point", "intensity": -1}),
        "lights[0].intensity must be a number >= 0, got -1",
    ),
    "light-area.gltf": (hm.lit_gltf({"type": "area"}), "type 'area' is not one of"),
    "light-zero-range.gltf": (
        hm.lit_gltf({"type": "point", "range": 0}),
        "range must be a number > 0",
    ),
    "light-cone-inverted.gltf": (
        hm.lit_gltf({"type": "spot", "spot": {"innerConeAngle": 0.5, "outerConeAngle": 0.2}}),
        "cone angles 0.5 and 0.2",
    ),
    "light-colour-of-two.gltf": (
        hm.lit_gltf({"type": "point", "color": [1, 1]}),
        "color must be an array of 3 numbers",
    ),
    "light-missing.gltf": (
        hm.lit_gltf({"type": "point"}, node_light=3),
        "nodes[1].extensions.KHR_lights_punctual.light 3 is out of range",
    ),
    "variant.gltf": (hm.variants_gltf({"material": 1, "variants": [0]}), None),
    "variant-missing-material.gltf": (
        hm.variants_gltf({"material": 2, "variants": [0]}),
        "mappings[0].material 2 is out of range",
    ),
    "variant-missing-variant.gltf": (
        hm.variants_gltf({"material": 1, "variants": [1]}),
        "mappings[0].variants 1 is out of range",
    ),
    "variant-without-name.gltf": (
        hm.variants_gltf({"material": 1, "variants": [0]}, variants=[{}]),
        "variants[0].name must be a string",
    ),
    "instances.glb": (
        hm.instanced_node_glb(
            {
                "TRANSLATION": hm.floats("VEC3", -1, 0, 0, 1, 0, 0),
                "SCALE": hm.floats("VEC3", 1, 1, 1, 2, 2, 2),
            }
        ),
        None,
    ),
    "instances-vec2.glb": (
        hm.instanced_node_glb({"TRANSLATION": hm.floats("VEC2", 0, 0, 1, 1)}),
        f"{INSTANCING}.attributes.TRANSLATION must be a VEC3",
    ),
    "instances-counts-differ.glb": (
        hm.instanced_node_glb(
            {
                "TRANSLATION": hm.floats("VEC3", 0, 0, 0, 1, 0, 0),
                "SCALE": hm.floats("VEC3", 1, 1, 1, 1, 1, 1, 1, 1, 1),
            }
        ),
        "attributes differ in count",
    ),
    "instances-none.glb": (hm.instanced_node_glb({}), "must name at least one accessor"),
    "instances-nan.glb": (
        hm.instanced_node_glb({"TRANSLATION": hm.floats("VEC3", 0, NAN, 0)}),
        "TRANSLATION holds NaN or infinite values",
    ),
    "instances-4001000-triangles.glb": (
        hm.instanced_mesh_glb(4001, 1000),
        "draws 4,001,000 triangles; the limit is 4,000,000",
    ),
    "instances-100000.glb": (
        hm.instanced_mesh_glb(1, 100_000),
        "100,001 nodes with its instances; the limit is 100,000",
    ),
    "material-extensions.gltf": (
        _material(
            KHR_materials_ior={"ior": 1.5},
            KHR_materials_transmission={"transmissionFactor": 0.5},
            KHR_materials_volume=VOLUME,
            KHR_materials_dispersion={"dispersion": 0.2},
            KHR_materials_iridescence={"iridescenceFactor": 1, "iridescenceIor": 1.3},
            KHR_materials_emissive_strength={"emissiveStrength": 4},
        ),
        None,
    ),
    "ior-negative.gltf": (
        _material(KHR_materials_ior={"ior": -1}),
        "materials[0].ior must be a number >= 0, got -1",
    ),
    "dispersion-negative.gltf": (
        _material(KHR_materials_volume=VOLUME, KHR_materials_dispersion={"dispersion": -0.5}),
        "materials[0].dispersion must be a number >= 0",
    ),
    "dispersion-negative-no-volume.gltf": (
        _material(KHR_materials_dispersion={"dispersion": -0.5}),
        "materials[0].dispersion must be a number >= 0",
    ),
    "iridescence-ior-zero.gltf": (
        _material(KHR_materials_iridescence={"iridescenceIor": 0}),
        "iridescenceIor must be a number > 0",
    ),
    "attenuation-distance-zero.gltf": (
        _material(KHR_materials_volume={"attenuationDistance": 0}),
        "attenuationDistance must be a number > 0",
    ),
    "thickness-negative.gltf": (
        _material(KHR_materials_volume={"thicknessFactor": -1}),
        "thicknessFactor must be a number >= 0",
    ),
    "emissive-strength-text.gltf": (
        _material(KHR_materials_emissive_strength={"emissiveStrength": "bright"}),
        "emissiveStrength must be a number, got 'bright'",
    ),
    "textured.gltf": (_textured_gltf({"texCoord": 1}), None),
    "texcoord-text.gltf": (
        _textured_gltf({"texCoord": "x"}),
        "baseColorTexture.texCoord must be an integer >= 0",
    ),
    "transform-offset-of-3.gltf": (
        _textured_gltf({"extensions": {"KHR_texture_transform": {"offset": [0, 0, 0]}}}),
        "KHR_texture_transform.offset must be an array of 2 numbers",
    ),
    "basisu-not-an-object.gltf": (
        _textured_gltf({}, {"source": 0, "extensions": {"KHR_texture_basisu": []}}),
        "textures[0].extensions.KHR_texture_basisu must be an object",
    ),
    "extensions-used-objects.gltf": (
        hm.gltf_json(hm.triangle_doc(extensionsUsed=[{}])),
        "extensionsUsed must be an array of extension names",
    ),
    "extensions-required-text.gltf": (
        hm.gltf_json(hm.triangle_doc(extensionsRequired="KHR_materials_ior")),
        "extensionsRequired must be an array of extension names",
    ),
    "node-extensions-list.gltf": (
        _triangle_gltf(extensions=[]),
        "nodes[0].extensions must be an object",
    ),
    "visibility-list.gltf": (
        _triangle_gltf(extensions={"KHR_node_visibility": []}),
        "KHR_node_visibility must be an object",
    ),
    "visibility-text.gltf": (
        _triangle_gltf(extensions={"KHR_node_visibility": {"visible": "no"}}),
        "visible must be true or false",
    ),
    "normal-vec2.glb": (
        _mesh_attribute_glb("NORMAL", hm.floats("VEC2", 0, 0, 0, 0, 0, 0)),
        "attributes.NORMAL must be a VEC3",
    ),
    "colour-vec2.glb": (
        _mesh_attribute_glb("COLOR_0", hm.floats("VEC2", 0, 0, 0, 0, 0, 0)),
        "attributes.COLOR_0 must be a VEC3 or VEC4",
    ),
    "colour-vec3.glb": (_mesh_attribute_glb("COLOR_0", hm.floats("VEC3", *[1.0] * 9)), None),
    "float-indices.glb": (_float_indices_glb(), "indices must be a SCALAR of unsigned integers"),
    "mesh-weights-text.gltf": (
        hm.gltf_json(
            hm.triangle_doc(
                meshes=[{"primitives": [{"attributes": {"POSITION": 0}}], "weights": ["a"]}]
            )
        ),
        "meshes[0].weights must be an array",
    ),
    "skin.glb": (_skin_glb(*IDENTITY), None),
    "skin-nan-matrix.glb": (
        _skin_glb(NAN, *IDENTITY[1:]),
        "skins[0].inverseBindMatrices holds NaN or infinite values",
    ),
    "animation.glb": (_animated_glb("translation", hm.floats("VEC3", 0, 0, 0, 1, 0, 0)), None),
    "rotation-vec3.glb": (
        _animated_glb("rotation", hm.floats("VEC3", 0, 0, 0, 1, 0, 0)),
        "samplers[0].output must be a VEC4 accessor",
    ),
    "sampler-minus-one.glb": (
        _animated_glb("translation", hm.floats("VEC3", 0, 0, 0, 1, 0, 0), sampler=-1),
        "channels[0].sampler must be an integer >= 0",
    ),
    "meshopt-bad-filter.glb": (
        _patched("BoxMeshopt.glb", _meshopt(filter="ZIGZAG")),
        "meshopt mode 'ATTRIBUTES' and filter 'ZIGZAG'",
    ),
    "meshopt-bomb.glb": (
        _patched("BoxMeshopt.glb", _meshopt(count=2**28)),
        "decompresses to",
    ),
    "draco-view-missing.glb": (
        _patched("BoxTextured-draco.glb", _draco_view(99)),
        "KHR_draco_mesh_compression.bufferView 99 is out of range",
    ),
}


@pytest.mark.parametrize("name", sorted(MEANING))
def test_upload_check_and_loader_read_the_document_alike(name: str, tmp_path: Path) -> None:
    payload, needle = MEANING[name]
    path = tmp_path / name
    path.write_bytes(payload)
    limits = ModelLimits.from_settings(Settings())
    stored, refused_at_upload = _upload(path, tmp_path, limits)
    refused_at_render = _render_load(stored or path, tmp_path, limits)
    if needle is None:
        assert (refused_at_upload, refused_at_render) == (None, None)
    else:
        assert refused_at_upload is not None and needle in refused_at_upload, refused_at_upload
        assert refused_at_render == refused_at_upload

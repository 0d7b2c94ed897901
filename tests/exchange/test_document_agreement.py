"""The upload check and the renderer's loader read a glTF document alike: each case where
one accepted what the other refused (or crashed on) — KHR_lights_punctual values,
KHR_materials_variants mappings, EXT_mesh_gpu_instancing attributes and what instances
cost, material values (ior, dispersion, volume, iridescence), texture references,
``extensions`` fields, attribute, index and animation output types, skins, meshopt and
Draco declarations — is refused by both with the same message, and its valid twin passes
both. The rules are :func:`exchange.model_check.check_model`'s.
"""

from __future__ import annotations

import base64
from pathlib import Path

import hostile_models as hm
import pytest
from agreement import ASSETS, both

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
        hm.triangle_gltf(extensions=[]),
        "nodes[0].extensions must be an object",
    ),
    "visibility-list.gltf": (
        hm.triangle_gltf(extensions={"KHR_node_visibility": []}),
        "KHR_node_visibility must be an object",
    ),
    "visibility-text.gltf": (
        hm.triangle_gltf(extensions={"KHR_node_visibility": {"visible": "no"}}),
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
    refused_at_upload, refused_at_render = both(path, tmp_path)
    if needle is None:
        assert (refused_at_upload, refused_at_render) == (None, None)
    else:
        assert refused_at_upload is not None and needle in refused_at_upload, refused_at_upload
        assert refused_at_render == refused_at_upload

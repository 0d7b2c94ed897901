"""The glTF document around the geometry: nodes, scenes, skins, animations, materials.

Each check mirrors a refusal of the renderer (renderer/gltf_loader.py, gltf_materials.py),
so a file the renderer would reject is a 400 at upload instead of a render that fails and
is refunded. Only declarations are read here; accessor data is read through the caller's
bounded reader, once per accessor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from broker.ingest.errors import ModelInvalid
from exchange.json_fields import index, objects
from exchange.limits import AssetLimits
from exchange.scene_graph import check_node_graph, scene_roots

if TYPE_CHECKING:
    from broker.ingest.gltf_accessors import Accessors

INTERPOLATIONS = ("LINEAR", "STEP", "CUBICSPLINE")
ANIMATED_PATHS = ("translation", "rotation", "scale", "weights")
NODE_VECTORS = (("translation", 3), ("rotation", 4), ("scale", 3), ("matrix", 16))


def _numbers(value: Any, n: int | None, what: str) -> None:
    """A JSON array of ``n`` numbers (finite: the JSON parser refused the others)."""
    ok = isinstance(value, list) and (n is None or len(value) == n)
    if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ModelInvalid(f"{what} must be an array of {n or 'some'} numbers")


def _number(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelInvalid(f"{what} must be a number, got {value!r}")


def check_structure(doc: dict[str, Any], accessors: Accessors, limits: AssetLimits) -> None:
    _check_nodes(doc, limits)
    _check_skins(doc, accessors, limits.max_joints)
    _check_animations(doc, accessors)
    _check_materials(doc)


def _check_nodes(doc: dict[str, Any], limits: AssetLimits) -> None:
    check_node_graph(doc, limits)
    nodes, meshes, skins = objects(doc, "nodes"), objects(doc, "meshes"), objects(doc, "skins")
    for i, node in enumerate(nodes):
        what = f"nodes[{i}]"
        if "mesh" in node:
            index(node["mesh"], meshes, f"{what}.mesh")
        if "skin" in node:
            index(node["skin"], skins, f"{what}.skin")
        for key, n in NODE_VECTORS:
            if key in node:
                _numbers(node[key], n, f"{what}.{key}")
        if "weights" in node:
            _numbers(node["weights"], None, f"{what}.weights")


def check_scene_draws(doc: dict[str, Any]) -> None:
    """A node the renderer draws (reached from the scene's roots, not hidden with its
    subtree by KHR_node_visibility) has a mesh."""
    nodes = doc.get("nodes", [])
    stack = scene_roots(doc)
    while stack:
        node = nodes[stack.pop()]
        visibility = node.get("extensions", {}).get("KHR_node_visibility", {})
        if isinstance(visibility, dict) and visibility.get("visible") is False:
            continue
        if "mesh" in node:
            return
        stack.extend(node.get("children", []))
    raise ModelInvalid("no node of the model's scene draws a mesh")


def drawn_triangles(doc: dict[str, Any], mesh_triangles: list[int]) -> int:
    """Triangles over every node's mesh instance, as the renderer limits them."""
    return sum(mesh_triangles[n["mesh"]] for n in doc.get("nodes", []) if "mesh" in n)


def _check_skins(doc: dict[str, Any], accessors: Accessors, max_joints: int) -> None:
    nodes = doc.get("nodes", [])
    for s, skin in enumerate(objects(doc, "skins")):
        joints = skin.get("joints")
        if not isinstance(joints, list) or not 1 <= len(joints) <= max_joints:
            raise ModelInvalid(f"skins[{s}] must have 1 to {max_joints} joints")
        for j in joints:
            index(j, nodes, f"skins[{s}].joints")
        if "inverseBindMatrices" in skin:
            what = f"skins[{s}].inverseBindMatrices"
            acc = index(skin["inverseBindMatrices"], accessors.accessors, what)
            if accessors.accessors[acc]["type"] != "MAT4" or accessors.count(acc) != len(joints):
                raise ModelInvalid(f"{what} must be one MAT4 per joint")
            accessors.check_finite(acc, what)


def _check_animations(doc: dict[str, Any], accessors: Accessors) -> None:
    nodes = doc.get("nodes", [])
    for a, anim in enumerate(objects(doc, "animations")):
        what = f"animations[{a}]"
        samplers = anim.get("samplers", [])
        channels = anim.get("channels", [])
        if not isinstance(samplers, list) or not all(isinstance(s, dict) for s in samplers):
            raise ModelInvalid(f"{what}.samplers must be an array of objects")
        if not isinstance(channels, list) or not all(isinstance(c, dict) for c in channels):
            raise ModelInvalid(f"{what}.channels must be an array of objects")
        for c, channel in enumerate(channels):
            target = channel.get("target")
            if not isinstance(target, dict):
                raise ModelInvalid(f"{what}.channels[{c}] has no target")
            if target.get("node") is None or target.get("path") not in ANIMATED_PATHS:
                continue  # e.g. KHR_animation_pointer: the renderer ignores it
            index(target["node"], nodes, f"{what}.channels[{c}].target.node")
            s = index(channel.get("sampler"), samplers, f"{what}.channels[{c}].sampler")
            _check_sampler(samplers[s], f"{what}.samplers[{s}]", accessors)


def _check_sampler(sampler: dict[str, Any], what: str, accessors: Accessors) -> None:
    interpolation = sampler.get("interpolation", "LINEAR")
    if interpolation not in INTERPOLATIONS:
        raise ModelInvalid(f"{what}.interpolation {interpolation!r} is not valid")
    times = index(sampler.get("input"), accessors.accessors, f"{what}.input")
    values = index(sampler.get("output"), accessors.accessors, f"{what}.output")
    accessors.check_finite(times, f"{what}.input (keyframe times)")
    accessors.check_finite(values, f"{what}.output (keyframe values)")
    keys = accessors.count(times) * (3 if interpolation == "CUBICSPLINE" else 1)
    if accessors.count(values) % keys:
        raise ModelInvalid(f"{what} has {accessors.count(values)} values for {keys} keyframes")


def _check_materials(doc: dict[str, Any]) -> None:
    textures, samplers = objects(doc, "textures"), objects(doc, "samplers")
    for t, texture in enumerate(textures):  # their images: exchange.textures.used_images
        if "sampler" in texture:
            index(texture["sampler"], samplers, f"textures[{t}].sampler")
    for m, material in enumerate(objects(doc, "materials")):
        what = f"materials[{m}]"
        if material.get("alphaMode", "OPAQUE") not in ("OPAQUE", "MASK", "BLEND"):
            raise ModelInvalid(f"{what}.alphaMode {material['alphaMode']!r} is not valid")
        pbr = _object(material, "pbrMetallicRoughness", what)
        ext = _object(material, "extensions", what)
        sg = _object(ext, "KHR_materials_pbrSpecularGlossiness", f"{what}.extensions")
        for obj, key, n in (
            (pbr, "baseColorFactor", 4),
            (material, "emissiveFactor", 3),
            (sg, "diffuseFactor", 4),
            (sg, "specularFactor", 3),
        ):
            if key in obj:
                _numbers(obj[key], n, f"{what}.{key}")
        for obj, key in (
            (pbr, "metallicFactor"),
            (pbr, "roughnessFactor"),
            (material, "alphaCutoff"),
            (sg, "glossinessFactor"),
        ):
            if key in obj:
                _number(obj[key], f"{what}.{key}")
        for obj, key in (
            (pbr, "baseColorTexture"),
            (pbr, "metallicRoughnessTexture"),
            (material, "normalTexture"),
            (material, "occlusionTexture"),
            (material, "emissiveTexture"),
            (sg, "diffuseTexture"),
            (sg, "specularGlossinessTexture"),
        ):
            if key in obj:
                info = _object(obj, key, what)
                index(info.get("index"), textures, f"{what}.{key}.index")
                for factor in ("scale", "strength"):
                    if factor in info:
                        _number(info[factor], f"{what}.{key}.{factor}")


def _object(parent: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, dict):
        raise ModelInvalid(f"{what}.{key} must be an object")
    return value

"""EXT_mesh_gpu_instancing: a node that draws its mesh once per instance.

The renderer makes each instance a node of its own (a skinned mesh is drawn once, not
instanced), so the node limit counts the instances and the triangle limit counts the mesh
once per instance — neither did at upload, so a model of 20 instances of a 1-million-
triangle mesh was charged and then refused. The extension's ``attributes`` name at least
one accessor, all of one count; TRANSLATION and SCALE are VEC3, ROTATION a VEC4, all finite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exchange.accessor_data import AccessorData
from exchange.accessors import declared_count
from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.extensions import extension
from exchange.json_fields import index, objects
from exchange.limits import AssetLimits

INSTANCING = "EXT_mesh_gpu_instancing"
TRS_TYPES = {"TRANSLATION": "VEC3", "ROTATION": "VEC4", "SCALE": "VEC3"}


def _instanced(doc: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(node, its extension's attributes, their name in a refusal) of each node with a
    mesh that the extension instances."""
    for i, node in enumerate(objects(doc, "nodes")):
        ext = extension(node, INSTANCING, f"nodes[{i}]")
        if ext is not None and "mesh" in node:
            what = f"nodes[{i}].extensions.{INSTANCING}.attributes"
            attrs = ext.get("attributes")
            if not isinstance(attrs, dict) or not attrs:
                raise AssetInvalid(f"{what} must name at least one accessor")
            yield i, attrs, what


def mesh_copies(doc: dict[str, Any], limits: AssetLimits) -> dict[int, int]:
    """How many times each instancing node draws its mesh (from the declared counts); the
    node limit checked with every instance a node."""
    accessors = objects(doc, "accessors")
    instances: dict[int, int] = {}
    for i, attrs, what in _instanced(doc):
        counts = {
            declared_count(doc, index(acc, accessors, f"{what}.{name}"), limits)
            for name, acc in attrs.items()
        }
        if len(counts) != 1:
            raise AssetInvalid(f"{what} differ in count")
        instances[i] = counts.pop()
    total = len(doc.get("nodes", [])) + sum(instances.values())
    if total > limits.max_nodes:
        raise AssetTooLarge(
            f"the model has {total:,} nodes with its instances; the limit is {limits.max_nodes:,}"
        )
    nodes = doc.get("nodes", [])
    return {i: 1 if "skin" in nodes[i] else n for i, n in instances.items()}


def check_instances(doc: dict[str, Any], data: AccessorData) -> None:
    for _, attrs, what in _instanced(doc):
        for name, kind in TRS_TYPES.items():
            if name in attrs and data.kind(attrs[name]) != kind:
                raise AssetInvalid(f"{what}.{name} must be a {kind}")


def check_instance_values(doc: dict[str, Any], data: AccessorData) -> None:
    for _, attrs, what in _instanced(doc):
        for name in TRS_TYPES:
            if name in attrs:
                data.check_finite(attrs[name], f"{what}.{name}")

"""What each node says: its mesh, skin, transform and morph weights, whether it is drawn.

The graph itself (children, parents, scene roots) is :mod:`exchange.scene_graph`'s; the
lights a node holds are :mod:`exchange.lights`', its instances
:mod:`exchange.instancing`'. A node with ``KHR_node_visibility`` ``visible: false`` is not
drawn, nor is anything under it; a model whose drawn scene holds no mesh is refused.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid
from exchange.extensions import extension
from exchange.json_fields import index, numbers, objects
from exchange.scene_graph import scene_roots

VECTORS = (("translation", 3), ("rotation", 4), ("scale", 3), ("matrix", 16))
VISIBILITY = "KHR_node_visibility"


def check_nodes(doc: dict[str, Any]) -> None:
    meshes, skins = objects(doc, "meshes"), objects(doc, "skins")
    for i, node in enumerate(objects(doc, "nodes")):
        what = f"nodes[{i}]"
        if "mesh" in node:
            index(node["mesh"], meshes, f"{what}.mesh")
        if "skin" in node:
            index(node["skin"], skins, f"{what}.skin")
        for key, n in VECTORS:
            if key in node:
                numbers(node[key], n, f"{what}.{key}")
        if "weights" in node:
            numbers(node["weights"], None, f"{what}.weights")
        visibility = extension(node, VISIBILITY, what) or {}
        if not isinstance(visibility.get("visible", True), bool):
            raise AssetInvalid(f"{what}.extensions.{VISIBILITY}.visible must be true or false")


def hidden(node: dict[str, Any]) -> bool:
    """Whether ``node`` (of a document :func:`check_nodes` accepted) is hidden with its
    subtree."""
    return node.get("extensions", {}).get(VISIBILITY, {}).get("visible") is False


def check_scene_draws(doc: dict[str, Any]) -> None:
    """A node that is drawn (reached from the scene's roots, not hidden) has a mesh."""
    nodes = doc.get("nodes", [])
    stack = scene_roots(doc)
    while stack:
        node = nodes[stack.pop()]
        if hidden(node):
            continue
        if "mesh" in node:
            return
        stack.extend(node.get("children", []))
    raise AssetInvalid("no node of the model's scene draws a mesh")

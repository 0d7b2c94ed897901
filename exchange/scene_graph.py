"""The node graph of a glTF document: a forest, and the roots of the scene that is drawn.

Checked the same way at upload and at render, from the JSON alone: at most ``max_nodes``
nodes, children that exist, one parent per node, no cycle, scene roots that exist and are
nobody's child. The drawn scene is ``scenes[scene]`` (``scene`` defaults to 0) or, in a file
without scenes, every node without a parent.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.json_fields import index, objects
from exchange.limits import AssetLimits


def check_node_graph(doc: dict[str, Any], limits: AssetLimits) -> None:
    nodes = objects(doc, "nodes")
    if len(nodes) > limits.max_nodes:
        raise AssetTooLarge(
            f"the model has {len(nodes):,} nodes; the limit is {limits.max_nodes:,}"
        )
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        children = node.get("children", [])
        if not isinstance(children, list):
            raise AssetInvalid(f"nodes[{i}].children must be an array")
        for child in children:
            c = index(child, nodes, f"nodes[{i}].children")
            if c == i or c in parent:
                raise AssetInvalid(f"node {c} has more than one parent or is its own child")
            parent[c] = i
    for start in parent:  # a chain of parents that returns to its start is a cycle
        seen = {start}
        node = start
        while node in parent:
            node = parent[node]
            if node in seen:
                raise AssetInvalid(f"the node hierarchy has a cycle through node {start}")
            seen.add(node)
    scenes = objects(doc, "scenes")
    for s, scene in enumerate(scenes):
        roots = scene.get("nodes", [])
        if not isinstance(roots, list):
            raise AssetInvalid(f"scenes[{s}].nodes must be an array")
        for root in roots:
            r = index(root, nodes, f"scenes[{s}].nodes")
            if r in parent:
                raise AssetInvalid(f"scene root {r} is also a child of node {parent[r]}")
    if "scene" in doc:
        index(doc["scene"], scenes, "scene")


def scene_roots(doc: dict[str, Any]) -> list[int]:
    """The root nodes of the scene that is drawn (of a document :func:`check_node_graph`
    accepted)."""
    nodes, scenes = doc.get("nodes", []), doc.get("scenes")
    if scenes:
        return list(scenes[doc.get("scene", 0)].get("nodes", []))
    children = {c for n in nodes for c in n.get("children", [])}
    return [i for i in range(len(nodes)) if i not in children]

"""A glTF skinned mesh in its rest pose, as a renderer draws it before any animation.

glTF ignores a skinned mesh's own node transform: each vertex is placed by its joints,
``Σ weight × world(joint) × inverseBind(joint) × position``, with the joints' world
transforms of the file's node hierarchy. The converter has no skeletons, so the skinned
positions (and normals) are baked; the mesh is then drawn from a root of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exchange.asset.model import Node


def world_matrices(nodes: Sequence[Node]) -> list[np.ndarray]:
    """Every node's world transform, iteratively (hierarchies run thousands deep; the
    upload check has refused cycles)."""
    parent: dict[int, int] = {c: i for i, n in enumerate(nodes) for c in n.children}
    world: dict[int, np.ndarray] = {}
    for i in range(len(nodes)):
        chain: list[int] = []
        j: int | None = i
        while j is not None and j not in world:
            chain.append(j)
            j = parent.get(j)
        base = world[j] if j is not None else np.eye(4)
        for k in reversed(chain):
            base = base @ nodes[k].matrix
            world[k] = base
    return [world[i] for i in range(len(nodes))]


def joint_matrices(
    worlds: Sequence[np.ndarray], joints: Sequence[int], inverse_binds: np.ndarray | None
) -> np.ndarray:
    """(joints, 4, 4): each joint's world transform times its inverse bind matrix."""
    binds = (
        np.broadcast_to(np.eye(4), (len(joints), 4, 4)) if inverse_binds is None else inverse_binds
    )
    return np.stack([worlds[j] @ binds[k] for k, j in enumerate(joints)])


def skinned(
    positions: np.ndarray,
    normals: np.ndarray | None,
    joint_ids: np.ndarray,
    weights: np.ndarray,
    mats: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Positions and normals moved by their joints (weights renormalised; a vertex with
    no weight stays where it is)."""
    w = weights.astype(np.float64)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w / np.where(total > 0, total, 1), 0)
    ids = np.clip(joint_ids.astype(np.int64), 0, len(mats) - 1)
    blend = np.einsum("vk,vkij->vij", w, mats[ids])
    blend[total[:, 0] <= 0] = np.eye(4)
    p = np.einsum("vij,vj->vi", blend[:, :3, :3], positions.astype(np.float64)) + blend[:, :3, 3]
    n = None
    if normals is not None:
        n = np.einsum("vij,vj->vi", np.linalg.inv(blend[:, :3, :3]).transpose(0, 2, 1), normals)
        length = np.linalg.norm(n, axis=1, keepdims=True)
        n = (n / np.where(length > 0, length, 1)).astype(np.float32)
    return p.astype(np.float32), n

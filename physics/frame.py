"""The SimReady frame: Z up, metres, the asset standing on the origin.

SimReady's profiles ask for ``upAxis`` Z and ``metersPerUnit`` 1, and MuJoCo's world is
Z-up too, so every physics module works in one frame: the asset is first normalised as
a conversion does (Y-up metres, its bounding box's base centred on the origin:
:func:`exchange.asset.transform.normalised`), then turned +90° about X (glTF's +Y becomes
+Z, its +Z becomes −Y, right-handed). The body's frame is this frame: its origin is
where the asset touches the ground, below its centre.
"""

from __future__ import annotations

import copy

import numpy as np

from exchange.asset import normalised
from exchange.asset.model import Asset, world_points
from physics.model import TriMesh

Y_TO_Z = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float64)


def simready_frame(asset: Asset) -> Asset:
    """A copy of ``asset`` in the SimReady frame (the input is not changed)."""
    out = copy.deepcopy(normalised(asset))
    for r in out.roots:
        out.nodes[r].matrix = Y_TO_Z @ out.nodes[r].matrix
    out.up_axis = "Z"
    return out


def merged(asset: Asset) -> TriMesh:
    """Every drawn triangle of ``asset`` in world space, as one mesh."""
    vertices: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    offset = 0
    for matrix, prim in asset.placed():
        if not len(prim.indices):
            continue
        vertices.append(world_points(matrix, prim.positions).astype(np.float64))
        faces.append(prim.indices.astype(np.int64) + offset)
        offset += len(prim.positions)
    if not vertices:
        return TriMesh(np.zeros((0, 3)), np.zeros((0, 3), np.int64))
    return TriMesh(np.concatenate(vertices), np.concatenate(faces))

"""What the asset holds, counted as a user would count it: drawn vertices, triangles,
meshes, materials, textures, and its size in metres.

Counts are over what the scene draws (an instanced mesh counts once per placement), the
same basis :func:`exchange.asset.compare.summary` uses for the round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from exchange.asset.model import Asset, Primitive
from exchange.asset.transform import bounds


@dataclass(frozen=True)
class GeometryStats:
    vertices: int
    triangles: int
    meshes: int
    """Drawn mesh placements (nodes that draw a mesh)."""
    materials: int
    textures: int
    bounds_min: tuple[float, float, float] | None
    """World box in metres, in the asset's own axes (``up_axis``)."""
    bounds_max: tuple[float, float, float] | None
    size_m: tuple[float, float, float] | None
    up_axis: str
    meters_per_unit: float


def placed_meshes(asset: Asset) -> Iterator[tuple[str, np.ndarray, list[Primitive]]]:
    """Every node that draws a mesh: its name, world matrix and the mesh's primitives."""
    stack = [(r, np.eye(4)) for r in asset.roots]
    while stack:
        i, parent = stack.pop()
        node = asset.nodes[i]
        world = parent @ node.matrix
        if node.mesh is not None:
            mesh = asset.meshes[node.mesh]
            yield node.name or mesh.name, world, mesh.primitives
        stack.extend((c, world) for c in node.children)


def world_box_m(asset: Asset) -> np.ndarray | None:
    box = bounds(asset)
    return None if box is None else box.astype(np.float64) * asset.meters_per_unit


def geometry_stats(asset: Asset) -> GeometryStats:
    placed = list(asset.placed())
    box = world_box_m(asset)

    def xyz(v: np.ndarray) -> tuple[float, float, float]:
        return (float(v[0]), float(v[1]), float(v[2]))

    return GeometryStats(
        vertices=sum(len(p.positions) for _, p in placed),
        triangles=sum(len(p.indices) for _, p in placed),
        meshes=sum(1 for _ in placed_meshes(asset)),
        materials=len({p.material for _, p in placed if p.material is not None}),
        textures=len(asset.textures()),
        bounds_min=None if box is None else xyz(box[0]),
        bounds_max=None if box is None else xyz(box[1]),
        size_m=None if box is None else xyz(box[1] - box[0]),
        up_axis=asset.up_axis,
        meters_per_unit=asset.meters_per_unit,
    )


def triangle_areas(prim: Primitive) -> np.ndarray:
    p = prim.positions.astype(np.float64)
    tri = p[prim.indices.astype(np.int64)]
    return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)


def degenerate_mask(prim: Primitive) -> np.ndarray:
    """Triangles that cover no area: a repeated index, or an area below float32's
    resolution at the primitive's size (what no renderer can draw)."""
    idx = prim.indices
    if len(idx) == 0:
        return np.zeros(0, dtype=bool)
    repeated = (idx[:, 0] == idx[:, 1]) | (idx[:, 1] == idx[:, 2]) | (idx[:, 0] == idx[:, 2])
    p = prim.positions.astype(np.float64)
    diag = float(np.linalg.norm(p.max(0) - p.min(0))) if len(p) else 0.0
    tiny = (diag * 1e-7) ** 2
    return repeated | ~(triangle_areas(prim) > tiny)


def open_edges(prim: Primitive) -> tuple[int, int]:
    """(boundary edges, non-manifold edges) with vertices welded by position, so a UV
    or normal seam is not an opening: an edge used by one face is open, by three or more
    is non-manifold."""
    if len(prim.indices) == 0:
        return 0, 0
    _, weld = np.unique(prim.positions, axis=0, return_inverse=True)
    tri = weld.reshape(-1)[prim.indices.astype(np.int64)]
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    edges = edges[edges[:, 0] != edges[:, 1]]
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return int((counts == 1).sum()), int((counts > 2).sum())

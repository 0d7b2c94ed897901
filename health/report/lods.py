"""Levels of detail by quadric edge collapse (fast-simplification, the Fast Quadric
Mesh Simplification library's bindings: the simplifier trimesh itself uses).

Each primitive is simplified on its own to ``ratio`` of its triangles (a primitive of
fewer than ``MIN_TRIANGLES`` is kept whole: there is nothing to gain); a level that comes
out no smaller than the one before it (or the source) is not kept, so a 12-triangle box
has no LODs rather than three copies of itself. The collapses are
replayed to learn where each source vertex went, so a kept vertex carries the normal and
UV of one of the source vertices it stands for. A level's ``error`` is measured, not the
simplifier's estimate: the largest distance from a source vertex to the level's surface
(trimesh's closest point), over the asset's box diagonal; past ``MAX_ERROR_SAMPLES``
source vertices an evenly spaced sample of them is measured.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import fast_simplification
import numpy as np
import trimesh

from exchange.asset.model import Asset, Primitive, world_points
from exchange.asset.transform import bounds

DEFAULT_RATIOS = (0.5, 0.25, 0.125)
MIN_TRIANGLES = 16
MAX_ERROR_SAMPLES = 5000


@dataclass(frozen=True)
class LodLevel:
    ratio: float
    triangles: int
    error: float
    """Relative to the asset's box diagonal (0.01 = 1 % of it)."""
    asset: Asset


def lod_assets(asset: Asset, ratios: Sequence[float] = DEFAULT_RATIOS) -> list[Asset]:
    """A simplified copy of ``asset`` per ratio that really reduces it, largest first
    (same nodes, materials and textures; each level's ratio is in :func:`lod_levels`)."""
    return [level.asset for level in lod_levels(asset, ratios)]


def lod_levels(asset: Asset, ratios: Sequence[float] = DEFAULT_RATIOS) -> list[LodLevel]:
    if any(not 0 < r < 1 for r in ratios):
        raise ValueError("LOD ratios must be between 0 and 1")
    levels: list[LodLevel] = []
    previous = sum(len(p.indices) for _, p in asset.placed())
    for ratio in sorted(ratios, reverse=True):
        out = copy.deepcopy(asset)
        for mesh in out.meshes:
            mesh.primitives = [simplified(p, ratio) for p in mesh.primitives]
        triangles = sum(len(p.indices) for _, p in out.placed())
        if triangles < previous:
            levels.append(LodLevel(ratio, triangles, relative_error(asset, out), out))
            previous = triangles
    return levels


def simplified(prim: Primitive, ratio: float) -> Primitive:
    if len(prim.indices) < MIN_TRIANGLES:
        return copy.deepcopy(prim)
    target = max(1, round(len(prim.indices) * ratio))
    points = prim.positions.astype(np.float64)
    faces = prim.indices.astype(np.int32)
    _, _, collapses = fast_simplification.simplify(
        points, faces, target_count=target, return_collapses=True
    )
    new_points, new_faces, mapping = fast_simplification.replay_simplification(
        points, faces, collapses
    )
    source = np.zeros(len(new_points), dtype=np.int64)
    kept = (mapping >= 0) & (mapping < len(new_points))
    source[mapping[kept]] = np.nonzero(kept)[0]
    return Primitive(
        new_points.astype(np.float32),
        np.asarray(new_faces, dtype=np.uint32).reshape(-1, 3),
        None if prim.normals is None else prim.normals[source],
        None if prim.uvs is None else prim.uvs[source],
        prim.material,
    )


def relative_error(source: Asset, level: Asset) -> float:
    box = bounds(source)
    parts = [(world_points(m, p.positions), p.indices) for m, p in level.placed()]
    parts = [(v, i) for v, i in parts if len(i)]
    if box is None or not parts:
        return 0.0
    offsets = np.cumsum([0] + [len(v) for v, _ in parts[:-1]])
    surface = trimesh.Trimesh(
        np.concatenate([v for v, _ in parts]),
        np.concatenate([i.astype(np.int64) + o for (_, i), o in zip(parts, offsets, strict=True)]),
        process=False,
    )
    src = np.concatenate([world_points(m, p.positions) for m, p in source.placed()])
    if len(src) > MAX_ERROR_SAMPLES:
        src = src[np.linspace(0, len(src) - 1, MAX_ERROR_SAMPLES).astype(np.int64)]
    _, distance, _ = trimesh.proximity.closest_point(surface, src)
    diag = float(np.linalg.norm(box[1] - box[0])) or 1.0
    return float(np.max(distance) / diag)

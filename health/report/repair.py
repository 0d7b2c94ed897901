"""Automatic repairs before grading: only fixes that were really applied are reported.

- ``degenerate_faces_removed``: triangles with a repeated index or no area are dropped
  (:func:`health.report.geometry.degenerate_mask`); they draw nothing and break
  simplifiers and physics cookers.
- ``unused_vertices_removed``: vertices no triangle uses are dropped (with their normals
  and UVs), typically the ones the dropped faces left behind.
- ``normals_regenerated``: a primitive without normals, or with a NaN/Inf or zero-length
  one, gets area-weighted smooth normals over its own vertices (vertices the source split
  at a seam stay split, so authored hard edges stay hard).
"""

from __future__ import annotations

import copy

import numpy as np

from exchange.asset.model import Asset, Primitive
from health.report.geometry import degenerate_mask

DEGENERATE = "degenerate_faces_removed"
UNUSED = "unused_vertices_removed"
NORMALS = "normals_regenerated"


def repair(asset: Asset) -> tuple[Asset, list[str]]:
    """A repaired copy of ``asset`` (the input is not changed) and the fixes applied."""
    out = copy.deepcopy(asset)
    fixes: set[str] = set()
    for mesh in out.meshes:
        for prim in mesh.primitives:
            fixes |= _repair_primitive(prim)
    return out, [f for f in (DEGENERATE, UNUSED, NORMALS) if f in fixes]


def _repair_primitive(prim: Primitive) -> set[str]:
    fixes = set()
    bad = degenerate_mask(prim)
    if bad.any():
        prim.indices = prim.indices[~bad]
        fixes.add(DEGENERATE)
    used = np.zeros(len(prim.positions), dtype=bool)
    used[prim.indices.reshape(-1)] = True
    if not used.all():
        remap = np.cumsum(used, dtype=np.int64) - 1
        prim.indices = remap[prim.indices].astype(np.uint32)
        prim.positions = prim.positions[used]
        prim.normals = None if prim.normals is None else prim.normals[used]
        prim.uvs = None if prim.uvs is None else prim.uvs[used]
        fixes.add(UNUSED)
    if len(prim.positions) and not normals_valid(prim):
        prim.normals = smooth_normals(prim)
        fixes.add(NORMALS)
    return fixes


def normals_valid(prim: Primitive) -> bool:
    n = prim.normals
    if n is None or len(n) != len(prim.positions):
        return False
    length = np.linalg.norm(n.astype(np.float64), axis=1)
    return bool(np.isfinite(n).all() and (length > 1e-6).all())


def smooth_normals(prim: Primitive) -> np.ndarray:
    """Per-vertex sum of the face normals around it, each weighted by its face's area
    (the cross product's length is twice the area), normalised; a vertex on no face with
    area gets +Y."""
    p = prim.positions.astype(np.float64)
    idx = prim.indices.astype(np.int64)
    tri = p[idx]
    face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    acc = np.zeros_like(p)
    for k in range(3):
        np.add.at(acc, idx[:, k], face)
    length = np.linalg.norm(acc, axis=1, keepdims=True)
    up = np.array([0.0, 1.0, 0.0])
    normals = np.where(length > 0, acc / np.where(length > 0, length, 1), up)
    return normals.astype(np.float32)

"""Fewer triangles before a decomposition: CoACD's time grows with the triangle count
(its defaults took ~400 s on a 10k-triangle mesh), while colliders need no fine detail.

The quadric edge collapse of :mod:`health.report.lods` (fast-simplification) does the
work, so a level of detail and a collision input are simplified alike.
"""

from __future__ import annotations

import numpy as np

from exchange.asset.model import Primitive
from health.report.lods import simplified
from physics.model import TriMesh

TARGET_RANGE = (1_000, 1_000_000)
"""The triangle targets a caller may ask for."""


def decimated(mesh: TriMesh, target_triangles: int) -> TriMesh:
    """``mesh`` reduced to about ``target_triangles`` (the simplifier stops near, not at,
    the target); a mesh already at or under it is returned as is."""
    low, high = TARGET_RANGE
    if not low <= target_triangles <= high:
        raise ValueError(f"the triangle target must be between {low:,} and {high:,}")
    if len(mesh.faces) <= target_triangles:
        return mesh
    source = Primitive(mesh.vertices.astype(np.float32), mesh.faces.astype(np.uint32))
    out = simplified(source, target_triangles / len(mesh.faces))
    return TriMesh(out.positions.astype(np.float64), out.indices.astype(np.int64))

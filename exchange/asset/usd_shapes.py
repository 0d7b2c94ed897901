"""USD's implicit shapes (Cube, Sphere, Cylinder, Cone, Capsule, Plane) tessellated into
triangles, with their schema's attributes and defaults, so a file made of them converts
like one made of meshes. trimesh builds the solids (outward winding); each is turned from
trimesh's Z axis to the prim's ``axis``. Normals: flat for the cube and plane (unshared
corners), smooth elsewhere but split at sharp edges (a cylinder's rim).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import trimesh

from exchange.asset.model import Primitive

SHAPES = ("Cube", "Sphere", "Cylinder", "Cone", "Capsule", "Plane")
TO_AXIS = {
    "X": np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=np.float64),
    "Y": np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=np.float64),
    "Z": np.eye(3),
}
"""Rotations taking trimesh's +Z (a shape's axis) to +X, +Y or +Z (columns: x, y, z)."""


def _get(prim: Any, name: str, time: Any, default: float) -> float:
    value = prim.GetAttribute(name).Get(time)
    number = float(value) if value is not None else default
    return number if np.isfinite(number) else default


def _solid(prim: Any, kind: str, time: Any) -> trimesh.Trimesh:
    if kind == "Cube":
        size = _get(prim, "size", time, 2.0)
        return trimesh.creation.box(extents=(size, size, size))
    if kind == "Sphere":
        return trimesh.creation.icosphere(subdivisions=3, radius=_get(prim, "radius", time, 1.0))
    radius, height = _get(prim, "radius", time, 1.0), _get(prim, "height", time, 2.0)
    if kind == "Cylinder":
        return trimesh.creation.cylinder(radius=radius, height=height, sections=32)
    if kind == "Cone":  # trimesh's stands on z = 0; USD's is centred
        cone = trimesh.creation.cone(radius=radius, height=height, sections=32)
        cone.apply_translation((0, 0, -height / 2))
        return cone
    if kind == "Capsule":
        return trimesh.creation.capsule(height=height, radius=radius, count=[16, 16])
    width, length = _get(prim, "width", time, 2.0), _get(prim, "length", time, 2.0)
    corners = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], dtype=np.float64)
    return trimesh.Trimesh(corners * (width / 2, length / 2, 0), [[0, 1, 2], [0, 2, 3]])


def shape_primitive(prim: Any, time: Any) -> Primitive | None:
    """Triangles of an implicit shape prim (None: not one, or of no size)."""
    kind = prim.GetTypeName()
    if kind not in SHAPES:
        return None
    solid = _solid(prim, kind, time)
    if not np.isfinite(solid.vertices).all() or solid.area <= 0:
        return None
    axis = str(prim.GetAttribute("axis").Get(time) or "Z")
    turn = TO_AXIS.get(axis, np.eye(3))
    if kind in ("Cube", "Plane"):
        solid.unmerge_vertices()
    else:
        solid = solid.smooth_shaded
    normals = solid.vertex_normals @ turn.T
    return Primitive(
        (solid.vertices @ turn.T).astype(np.float32),
        np.asarray(solid.faces, dtype=np.uint32),
        normals.astype(np.float32),
    )

"""The values the physics modules hand one another, in the SimReady frame (Z-up metres,
the body frame is the world frame at rest: :mod:`physics.frame`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TriMesh:
    """Triangles in the SimReady frame: every drawn primitive of an asset, merged."""

    vertices: np.ndarray
    """(n, 3) float64."""
    faces: np.ndarray
    """(m, 3) int64."""


@dataclass(frozen=True)
class Hull:
    """One convex collider: its vertices and its triangles, wound outward."""

    vertices: np.ndarray
    """(n, 3) float64."""
    faces: np.ndarray
    """(m, 3) int32."""


@dataclass(frozen=True)
class CollisionFigures:
    """How good the colliders are, as the report states them."""

    hull_count: int
    vertices_min: int
    vertices_max: int
    vertices_mean: float
    volume_hulls: float
    """Sum of the hulls' volumes, m³ (overlaps counted twice)."""
    volume_mesh: float
    """The mesh's own volume, m³ (its convex hull's when it is not watertight)."""
    volume_ratio: float
    """``volume_hulls / volume_mesh``: ≈1 a snug fit, >1 the hulls bulge past the mesh."""
    degenerate_removed: int
    """Hulls dropped for spanning no volume (MuJoCo refuses zero-volume meshes)."""


@dataclass(frozen=True)
class Collision:
    hulls: tuple[Hull, ...]
    method: str
    """``coacd`` or ``convex_hull`` (the fallback)."""
    fallback_reason: str | None
    """Why the fallback was used (the time budget ran out, CoACD failed), else None."""
    seconds: float
    figures: CollisionFigures
    parameters: dict[str, float | int | str]
    """What CoACD ran with (threshold, preset's values), for the report."""


@dataclass(frozen=True)
class PhysicsMaterial:
    kind: str
    """``metal``, ``wood``, ``plastic``, ``rubber``, ``glass``, ``ceramic``, ``stone``,
    ``fabric``, … (:data:`physics.materials.PROPERTIES`)."""
    density: float
    """kg/m³."""
    static_friction: float
    dynamic_friction: float
    restitution: float
    provider: str
    """Who identified it: ``heuristic`` or the configured LLM provider's name."""
    reason: str


@dataclass(frozen=True)
class MassProperties:
    mass: float
    """kg."""
    center_of_mass: tuple[float, float, float]
    """In the body frame, m."""
    diagonal_inertia: tuple[float, float, float]
    """Principal moments, kg·m²."""
    principal_axes: tuple[float, float, float, float]
    """The principal frame's rotation, a quaternion (w, x, y, z)."""
    volume: float
    """m³, the volume the mass came from."""
    method: str
    """``watertight`` (the mesh's own volume) or ``convex_hulls`` (the fallback for an open
    mesh: the colliders' volume; docs/physics.md)."""
    floored: str | None = None
    """What was raised to a floor (a degenerate shape's mass or inertia, which a simulator
    refuses), else None (:mod:`physics.mass`)."""

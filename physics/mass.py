"""Mass, centre of mass and inertia: what a simulator needs to move a body.

A solid mesh (:func:`physics.solid.solid`: welded, watertight, positive volume) gives
them exactly, by trimesh's integration over its volume at ``density``
(``method="watertight"``). An open mesh (a shell without a bottom, a single card) encloses
no volume, so the fallback is the volume its colliders enclose (``method="convex_hulls"``):
each hull's own mass properties, summed, the inertias carried to the common centre of mass
by the parallel-axis theorem. Overlapping hulls count their overlap twice, so the mass is
a little high where they overlap; the colliders are what the simulator collides with, so
the body at least weighs what it looks like in the simulation.

A simulator refuses a body of zero mass or an inertia that is not positive definite, so
neither is ever returned: a body without any volume (no hull, nothing closed) weighs
``density`` times its bounding box's volume, each side taken as at least ``MIN_SIDE`` of
the largest, centred in the box; and each principal moment is at least that of a cube of
that least side (a needle's, a card's). ``floored`` says what was raised and why.
"""

from __future__ import annotations

import numpy as np
import trimesh

from physics.model import Collision, MassProperties, TriMesh
from physics.solid import hull_solid, solid

MIN_SIDE = 0.01
"""A side's floor, as a fraction of the bounding box's largest side."""


def mass_properties(mesh: TriMesh, collision: Collision, density: float) -> MassProperties:
    if not density > 0:
        raise ValueError(f"density must be positive, not {density}")
    closed = solid(mesh)
    if closed is not None:
        closed.density = density
        mass, com = float(closed.mass), np.asarray(closed.center_mass, dtype=np.float64)
        inertia, volume = np.asarray(closed.moment_inertia), float(closed.volume)
        method = "watertight"
    else:
        mass, com, inertia, volume = hulls_mass(collision, density)
        method = "convex_hulls"
    return principal(mesh, mass, com, inertia, volume, method, density)


def hulls_mass(collision: Collision, density: float) -> tuple[float, np.ndarray, np.ndarray, float]:
    """The hulls' union as one body: mass, centre of mass, inertia about it, volume."""
    parts = [hull_solid(h) for h in collision.hulls]
    masses = np.array([p.volume * density for p in parts])
    if not len(parts) or masses.sum() <= 0:
        return 0.0, np.zeros(3), np.zeros((3, 3)), 0.0
    centres = np.array([p.center_mass for p in parts])
    com = (masses[:, None] * centres).sum(0) / masses.sum()
    inertia = np.zeros((3, 3))
    for part, mass, centre in zip(parts, masses, centres, strict=True):
        part.density = density
        d = centre - com
        inertia += np.asarray(part.moment_inertia) + mass * (d @ d * np.eye(3) - np.outer(d, d))
    return float(masses.sum()), com, inertia, float(sum(p.volume for p in parts))


def principal(
    mesh: TriMesh,
    mass: float,
    com: np.ndarray,
    inertia: np.ndarray,
    volume: float,
    method: str,
    density: float,
) -> MassProperties:
    """The moments and axes of ``inertia``, with the floors applied."""
    extent = np.ptp(mesh.vertices, axis=0) if len(mesh.vertices) else np.zeros(3)
    least_side = max(MIN_SIDE * float(extent.max()), 1e-6)
    floors = []
    least_mass = density * float(np.prod(np.maximum(extent, least_side)))
    if not mass > 0:
        floors.append(f"mass {mass:.3g} kg raised to the bounding box's {least_mass:.3g} kg")
        mass, inertia = least_mass, np.zeros((3, 3))
        com = (mesh.vertices.min(0) + extent / 2) if len(mesh.vertices) else np.zeros(3)
    moments, axes = np.linalg.eigh((inertia + inertia.T) / 2)
    least_moment = mass * least_side**2 / 6
    if moments.min() < least_moment:
        floors.append(f"principal moments below {least_moment:.3g} kg·m² raised to it")
        moments = np.maximum(moments, least_moment)
    if np.linalg.det(axes) < 0:
        axes[:, 2] = -axes[:, 2]
    rotation = np.eye(4)
    rotation[:3, :3] = axes
    w, x, y, z = trimesh.transformations.quaternion_from_matrix(rotation)
    return MassProperties(
        mass=mass,
        center_of_mass=(float(com[0]), float(com[1]), float(com[2])),
        diagonal_inertia=(float(moments[0]), float(moments[1]), float(moments[2])),
        principal_axes=(float(w), float(x), float(y), float(z)),
        volume=volume,
        method=method,
        floored="; ".join(floors) or None,
    )

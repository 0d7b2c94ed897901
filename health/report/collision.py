"""Collision meshes: one convex hull per drawn mesh, in world space (Qhull through
scipy), within a time budget.

A convex hull is what every physics engine accepts as a dynamic collider (PhysX, Chaos,
Bullet, Havok); decomposing a concave mesh into many hulls is left to the engines' own
tools. A flat mesh (a plane, a card) spans no volume, so Qhull has no hull for it; it gets
the hull of its points pushed ``FLAT_THICKNESS`` of its size to either side of its plane
(a thin box, what engines make for a plane) and says so (``thickened``). Points on a line
or one point have no hull and the mesh is reported as failed; once ``budget_s`` is spent
the remaining meshes are not tried.

A hull of more than ``MAX_HULL_VERTICES`` vertices (PhysX cooks at most 255 per convex
mesh; a smooth sphere's hull is every vertex) is reduced: the hull of ``MAX_HULL_VERTICES``
of its vertices chosen by farthest-point sampling, scaled about its centroid just enough
to contain every source vertex again, so the collider never cuts into the mesh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from exchange.asset.model import Asset, Mesh, Node, Primitive, world_points
from health.report.geometry import placed_meshes

DEFAULT_BUDGET_S = 10.0
MAX_HULL_VERTICES = 255
SAMPLING_POOL = 20_000
FLAT_THICKNESS = 0.005
"""Half the thickness given to a flat mesh's hull, as a fraction of its largest side."""


@dataclass(frozen=True)
class Hull:
    mesh: str
    """The node (or mesh) name the hull wraps."""
    vertices: int
    triangles: int
    primitive: Primitive
    """World-space hull, faces wound outward."""
    thickened: bool = False
    """The mesh was flat: its hull is a thin slab around its plane."""
    exact_vertices: int = 0
    """The exact hull's vertex count (more than ``vertices`` when it was reduced)."""


@dataclass(frozen=True)
class Collision:
    hulls: list[Hull] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Meshes without a hull: flat, or past the time budget."""
    budget_exceeded: bool = False
    seconds: float = 0.0

    @property
    def generated(self) -> bool:
        """Every drawn mesh got its hull (and there was at least one)."""
        return bool(self.hulls) and not self.failed


def convex_hulls(asset: Asset, *, budget_s: float = DEFAULT_BUDGET_S) -> Collision:
    started = time.monotonic()
    hulls, failed, exceeded = [], [], False
    for name, world, prims in placed_meshes(asset):
        if exceeded or time.monotonic() - started > budget_s:
            exceeded = True
            failed.append(name)
            continue
        pts = [world_points(world, p.positions) for p in prims if len(p.indices)]
        points = np.concatenate(pts) if pts else np.zeros((0, 3), np.float32)
        hull, thickened = hull_primitive(points), False
        if hull is None:
            slab = thickened_points(points)
            hull, thickened = (None, False) if slab is None else (hull_primitive(slab), True)
        if hull is None:
            failed.append(name)
            continue
        exact = len(hull.positions)
        if exact > MAX_HULL_VERTICES:
            hull = reduced_hull(hull, MAX_HULL_VERTICES)
        hulls.append(Hull(name, len(hull.positions), len(hull.indices), hull, thickened, exact))
    return Collision(hulls, failed, exceeded, time.monotonic() - started)


def hull_primitive(points: np.ndarray) -> Primitive | None:
    """The convex hull of ``points`` as a compact primitive (only the hull's vertices),
    or None when the points span no volume."""
    pts = points.astype(np.float64)
    try:
        hull = ConvexHull(pts)
    except (QhullError, ValueError):
        return None
    keep = hull.vertices
    remap = np.full(len(pts), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    faces = remap[hull.simplices]
    verts = pts[keep]
    # Qhull's facet normals point outward; wind each triangle to agree with them.
    tri = verts[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    inward = np.einsum("ij,ij->i", normal, hull.equations[:, :3]) < 0
    faces[inward] = faces[inward][:, ::-1]
    return Primitive(verts.astype(np.float32), faces.astype(np.uint32))


def reduced_hull(hull: Primitive, limit: int) -> Primitive:
    """A hull of at most ``limit`` vertices that still contains ``hull``."""
    pts = hull.positions.astype(np.float64)
    # sampling from an evenly spaced subset keeps this fast on huge hulls; the scaling
    # below restores containment of every vertex whatever was sampled
    pool = pts[:: max(1, -(-len(pts) // SAMPLING_POOL))]
    chosen = [int(np.argmax(((pool - pool.mean(0)) ** 2).sum(1)))]
    distance = ((pool - pool[chosen[0]]) ** 2).sum(1)
    for _ in range(limit - 1):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, ((pool - pool[chosen[-1]]) ** 2).sum(1))
    small = hull_primitive(pool[chosen])
    if small is None:
        return hull
    verts = small.positions.astype(np.float64)
    centre = verts.mean(0)
    tri = verts[small.indices.astype(np.int64)]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    reach = np.einsum("ij,ij->i", normal, tri[:, 0] - centre)
    scale = 1.0
    for start in range(0, len(pts), 4096):  # points × faces in slices: bounded memory
        ratio = (pts[start : start + 4096] - centre) @ normal.T / reach
        scale = max(scale, float(ratio.max()))
    # a little over the exact factor, so float32 rounding never leaves a vertex outside
    grown = centre + (verts - centre) * scale * (1 + 1e-6)
    return Primitive(grown.astype(np.float32), small.indices)


def thickened_points(points: np.ndarray) -> np.ndarray | None:
    """A flat point set pushed to both sides of its best-fit plane (None: the points do not
    span a plane, i.e. a line or a point)."""
    if len(points) < 3:
        return None
    pts = points.astype(np.float64)
    centred = pts - pts.mean(0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    if singular[1] <= 1e-9 * max(singular[0], 1e-30):
        return None
    size = float(np.ptp(pts, axis=0).max())
    offset = axes[2] * FLAT_THICKNESS * size
    return np.concatenate([pts + offset, pts - offset])


def collision_asset(collision: Collision) -> Asset:
    """The hulls as an asset of their own (one node each, identity transforms, no
    materials), ready for :func:`exchange.asset.write_asset`."""
    meshes = [Mesh(f"{h.mesh}_collision", [h.primitive]) for h in collision.hulls]
    nodes = [Node(m.name, mesh=i) for i, m in enumerate(meshes)]
    return Asset(nodes, list(range(len(nodes))), meshes, [])

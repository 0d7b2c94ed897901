"""Hand-made colliders, mass and material for the MJCF and simulation tests, so they do
not depend on the decomposition and mass modules: one convex hull per asset (or per
slab of it) and the mass of a solid of the hulls' volume at a plain density."""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull

from exchange.asset import read_asset
from exchange.asset.model import Asset
from physics.frame import merged, simready_frame
from physics.mjcf import MjcfPackage, write_mjcf_package
from physics.model import Collision, CollisionFigures, Hull, MassProperties, PhysicsMaterial
from physics.simulate import Simulation, simulate
from testdata import ASSETS

WOOD = PhysicsMaterial("wood", 600.0, 0.5, 0.4, 0.3, "heuristic", "test material")


def hull_of(points: np.ndarray) -> Hull:
    """The convex hull of ``points``, its triangles wound outward."""
    hull = ConvexHull(points)
    used = np.unique(hull.simplices)
    remap = np.full(len(points), -1)
    remap[used] = np.arange(len(used))
    vertices = points[used]
    faces = remap[hull.simplices]
    centre = vertices.mean(0)
    for f in faces:
        a, b, c = vertices[f]
        if np.dot(np.cross(b - a, c - a), a - centre) < 0:
            f[[1, 2]] = f[[2, 1]]
    return Hull(vertices, faces.astype(np.int32))


def collision_of(asset: Asset, slabs: int = 1) -> Collision:
    """``slabs`` hulls of the mesh cut into horizontal slabs (1: its convex hull)."""
    points = merged(asset).vertices
    z = points[:, 2]
    edges = np.linspace(z.min(), z.max(), slabs + 1)
    hulls = []
    for lo, hi in itertools.pairwise(edges):
        part = points[(z >= lo - 1e-9) & (z <= hi + 1e-9)]
        hulls.append(hull_of(part))
    volume = sum(ConvexHull(h.vertices).volume for h in hulls)
    sizes = [len(h.vertices) for h in hulls]
    figures = CollisionFigures(
        len(hulls), min(sizes), max(sizes), float(np.mean(sizes)), volume, volume, 1.0, 0
    )
    return Collision(tuple(hulls), "convex_hull", None, 0.0, figures, {})


def mass_of(collision: Collision, density: float) -> MassProperties:
    """A solid of the hulls' volume: centre at the hulls' centroid, the inertia of its
    bounding box scaled to that mass (close enough for a drop)."""
    points = np.concatenate([h.vertices for h in collision.hulls])
    volume = collision.figures.volume_hulls
    mass = density * volume
    lo, hi = points.min(0), points.max(0)
    centre = (lo + hi) / 2
    dx, dy, dz = hi - lo
    inertia = (
        mass * (dy**2 + dz**2) / 12,
        mass * (dx**2 + dz**2) / 12,
        mass * (dx**2 + dy**2) / 12,
    )
    com = (float(centre[0]), float(centre[1]), float(centre[2]))
    return MassProperties(mass, com, inertia, (1.0, 0.0, 0.0, 0.0), volume, "convex_hulls")


def package(
    name: str, out_dir: Path, slabs: int = 1, material: PhysicsMaterial = WOOD
) -> tuple[Asset, MjcfPackage]:
    asset = simready_frame(read_asset(ASSETS / name))
    collision = collision_of(asset, slabs)
    mass = mass_of(collision, material.density)
    return asset, write_mjcf_package(asset, collision, mass, material, out_dir, Path(name).stem)


def simulated(xml: Path, scene: str, out_dir: Path, **options: Any) -> Simulation:
    """:func:`physics.simulate.simulate` in a process of its own, as the worker runs it:
    MuJoCo's EGL context and meshfarm's renderer cannot share a process, and the suite's
    renderer tests run in this one."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(simulate, xml, scene, out_dir, **options).result()

"""The visual hull of the silhouettes as a scalar field on a voxel grid.

Object frame: height-normalised (the object is 1 tall, y from −0.5 to 0.5), centred on
the middle of every silhouette's extent — which, for cameras at the object's height
looking at its centre, is where the vertical axis through the object's middle appears.
Each silhouette becomes a signed distance (pixels → object units, positive inside);
a grid point lies in the hull when it projects inside every silhouette, so the field is
the minimum over the views, and its zero level set is the hull's surface, placed between
grid points to a fraction of a voxel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from reconstruction.segment import Silhouette
from reconstruction.views import View

PAD = 2
"""Grid points beyond the hull's extent on every side (the surface must close)."""


@dataclass(frozen=True)
class Grid:
    field: np.ndarray
    """(nx, ny, nz): positive inside the hull, in object units."""
    origin: np.ndarray
    """Object-frame position of grid point (0, 0, 0)."""
    spacing: float


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Distance to the silhouette's outline in pixels, positive inside.

    Distances run between pixel centres, so half a pixel is taken off each side: the
    outline falls midway between an object pixel and a background one.
    """
    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    return np.where(mask, inside - 0.5, 0.5 - outside)


def half_extents(shots: list[tuple[View, Silhouette]]) -> np.ndarray:
    """Half the hull's size along x, y, z: the widest any view shows along each axis."""
    half = np.array([0.0, 0.5, 0.0])
    for view, shot in shots:
        cols = np.flatnonzero(shot.mask.any(axis=0))
        reach = max(shot.centre_x - cols[0], cols[-1] - shot.centre_x) + 0.5
        half[view.across] = max(half[view.across], reach / shot.height_px)
    return half


def carve_field(shots: list[tuple[View, Silhouette]], resolution: int) -> Grid:
    half = half_extents(shots)
    spacing = 2.0 * float(half.max()) / resolution
    counts = [2 * math.ceil(h / spacing - 0.5) + 1 + 2 * PAD for h in half]
    axes = [spacing * (np.arange(n) - (n - 1) / 2.0) for n in counts]
    field = np.full(counts, np.inf)
    for view, shot in shots:
        distance = signed_distance(shot.mask) / shot.height_px
        across = axes[view.across]
        ys = axes[1]
        rows = shot.centre_y - shot.height_px * ys
        cols = shot.centre_x + shot.height_px * view.across_sign * across
        r, c = np.meshgrid(rows, cols, indexing="ij")
        plane = ndimage.map_coordinates(distance, [r, c], order=1, mode="nearest")
        # plane is (y, across); stretch it along the depth axis.
        seen = plane.T[:, :, None] if view.across == 0 else plane[None, :, :]
        field = np.minimum(field, seen)
    field[[0, -1], :, :] = field[:, [0, -1], :] = field[:, :, [0, -1]] = -spacing
    origin = np.array([a[0] for a in axes])
    return Grid(field=field, origin=origin, spacing=spacing)

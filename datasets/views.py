"""Where the dataset's cameras stand: evenly spread directions around the object.

Directions come from a Fibonacci lattice (equal-area, no bunching at the pole the way a
latitude/longitude grid bunches). Every camera looks at the centre of the model's rest
pose bounding box from one distance, at which the bounding sphere fits the narrower
field of view with a margin — so the whole object is in every frame, whatever the
direction. Same inputs, same cameras: nothing random.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from renderer import Bounds, Camera

Coverage = Literal["hemisphere", "sphere"]
COVERAGES: tuple[Coverage, ...] = ("hemisphere", "sphere")

FOV_Y_DEG = 40.0
"""Vertical field of view: close to the NeRF-synthetic scenes' 39.6°, little distortion."""

FIT_MARGIN = 1.05
"""The bounding sphere fills at most 1/1.05 of the half field of view."""

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


def fibonacci_directions(count: int, coverage: Coverage) -> np.ndarray:
    """``count``×3 unit vectors spread evenly over the upper (+Y) hemisphere or sphere.

    Equal-area bands in height (``y``) with a golden-angle turn between neighbours; the
    half-step offset keeps every view off the pole, where "up" would be undefined.
    """
    if count < 1:
        raise ValueError("a dataset needs at least one view")
    i = np.arange(count, dtype=np.float64) + 0.5
    y = 1.0 - i / count if coverage == "hemisphere" else 1.0 - 2.0 * i / count
    ring = np.sqrt(np.clip(1.0 - y * y, 0.0, 1.0))
    phi = i * GOLDEN_ANGLE
    return np.stack([ring * np.sin(phi), y, ring * np.cos(phi)], axis=1)


def fit_distance(radius: float, fov_y_deg: float, aspect: float) -> float:
    """Distance at which a sphere of ``radius`` fits the narrower field of view."""
    half_y = math.radians(fov_y_deg) / 2.0
    half_x = math.atan(math.tan(half_y) * aspect)
    return FIT_MARGIN * radius / math.sin(min(half_x, half_y))


def dataset_cameras(
    bounds: Bounds,
    count: int,
    coverage: Coverage,
    width: int,
    height: int,
    fov_y_deg: float = FOV_Y_DEG,
) -> list[Camera]:
    """One camera per lattice direction, looking at the bounds' centre.

    ``near``/``far`` enclose the bounding sphere (the renderer needs the model between
    them); they are the GL clip planes, not the dataset's ``depth_near``/``depth_far``.
    """
    aspect = width / height
    radius = bounds.radius
    distance = fit_distance(radius, fov_y_deg, aspect)
    center = bounds.center
    near = max(distance - 1.01 * radius, distance * 1e-3)
    far = distance + 1.01 * radius
    return [
        Camera(
            position=_vec3(center + distance * d),
            target=_vec3(center),
            up=(0.0, 1.0, 0.0),
            fov_y=fov_y_deg,
            aspect=aspect,
            near=near,
            far=far,
        )
        for d in fibonacci_directions(count, coverage)
    ]


def _vec3(v: np.ndarray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))

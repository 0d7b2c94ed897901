"""The key light and the ground under the model, placed from the model's bounds.

The studio rig is fixed in world space (like a real camera moving around a lit product),
so for a still model the shadow map is drawn once per job. The light comes from the
front-left and above, matching the key soft box of the environment.
"""

from __future__ import annotations

import numpy as np

from renderer.camera import Camera
from renderer.framing import Bounds

LIGHT_DIRECTION = np.array([-0.5, 1.0, 0.55]) / np.linalg.norm([-0.5, 1.0, 0.55])
LIGHT_COLOR = (2.6, 2.55, 2.45)
SHADOW_MAP_SIZE = 2048
SHADOW_OPACITY = 0.55
REFLECTION_STRENGTH = 0.35
SHADOW_MARGIN = 0.15
"""Ground rectangle margin beyond the shadow's reach, in bounding-sphere radii."""


def light_view_proj(bounds: Bounds) -> np.ndarray:
    """Orthographic light camera covering the model and its shadow on the ground."""
    r = bounds.radius
    center = bounds.center
    cam = Camera(
        position=tuple(center + LIGHT_DIRECTION * 3.0 * r),
        target=tuple(center),
        up=(0.0, 0.0, -1.0),
    )
    half = 1.6 * r
    near, far = 0.5 * r, 6.0 * r
    ortho = np.array(
        [
            [1 / half, 0, 0, 0],
            [0, 1 / half, 0, 0],
            [0, 0, -2 / (far - near), -(far + near) / (far - near)],
            [0, 0, 0, 1],
        ]
    )
    return ortho @ cam.view_matrix()


def ground_rect(bounds: Bounds) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half size (x, z) of the ground area a shadow can fall on.

    Every occluder lies in the bounds box, so every shadow lies within the box's corners
    projected along the light onto the ground; the catcher covers that and no more.
    """
    corners = np.array(
        [
            [x, y, z]
            for x in (bounds.lo[0], bounds.hi[0])
            for y in (bounds.lo[1], bounds.hi[1])
            for z in (bounds.lo[2], bounds.hi[2])
        ]
    )
    ground = float(bounds.lo[1])
    shift = (corners[:, 1] - ground) / LIGHT_DIRECTION[1]
    projected = corners - shift[:, None] * LIGHT_DIRECTION
    xz = np.concatenate([corners, projected])[:, [0, 2]]
    margin = SHADOW_MARGIN * bounds.radius
    lo, hi = xz.min(axis=0) - margin, xz.max(axis=0) + margin
    return (lo + hi) / 2.0, (hi - lo) / 2.0


def mirror_matrix(ground_y: float) -> np.ndarray:
    """Reflection through the plane y = ground_y."""
    m = np.diag([1.0, -1.0, 1.0, 1.0])
    m[1, 3] = 2.0 * ground_y
    return m

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
GROUND_EXTENT = 2.0
"""Ground disc radius in bounding-sphere radii."""


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


def mirror_matrix(ground_y: float) -> np.ndarray:
    """Reflection through the plane y = ground_y."""
    m = np.diag([1.0, -1.0, 1.0, 1.0])
    m[1, 3] = 2.0 * ground_y
    return m

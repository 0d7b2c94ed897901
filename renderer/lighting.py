"""A job's lighting rig: environment, key light, tone mapping; and the ground's geometry.

The rig is fixed in world space (like a real camera moving around a lit product), so
for a still model the shadow map is drawn once per job. The key light comes from the
front-left and above, matching the studio's key soft box; ``environment_rotation``
turns the environment and the key light (with its shadow) together about +Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from renderer.camera import Camera
from renderer.environment import resolve_environment
from renderer.framing import Bounds
from renderer.ibl import IBL, get_ibl
from renderer.scene import Scene
from renderer.settings import RenderSettings

LIGHT_DIRECTION = np.array([-0.5, 1.0, 0.55]) / np.linalg.norm([-0.5, 1.0, 0.55])
LIGHT_COLOR = (2.55, 2.55, 2.55)
"""Neutral white, like every light of the studio: grey renders grey."""
TONE_MAPPING_CODES = {"neutral": 0, "aces": 1, "none": 2}
"""The values of the shaders' TONE_MAPPING define (tonemap.glsl)."""
EXPOSURE = 1.0
SHADOW_MAP_SIZE = 2048
SHADOW_OPACITY = 0.55
REFLECTION_STRENGTH = 0.35
SHADOW_MARGIN = 0.15
"""Ground rectangle margin beyond the shadow's reach, in bounding-sphere radii."""


def turn_y(degrees: float) -> np.ndarray:
    """3×3 rotation about +Y, counter-clockwise seen from above (+X towards −Z)."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@dataclass(frozen=True)
class Lighting:
    """Everything that lights a job, resolved from its settings."""

    ibl: IBL
    rotation: float = 0.0
    """Degrees about +Y, applied to the environment and the key light."""
    intensity: float = 1.0
    tone_mapping: str = "neutral"
    key_light: bool = True

    @property
    def light_direction(self) -> np.ndarray:
        """Unit vector towards the key light, in world space."""
        return turn_y(self.rotation) @ LIGHT_DIRECTION

    @property
    def rotation_cs(self) -> tuple[float, float]:
        a = math.radians(self.rotation)
        return (math.cos(a), math.sin(a))


def key_light_on(setting: bool | None, scene: Scene) -> bool:
    """The key light as asked, or by default (None) on unless the file brings its own
    KHR_lights_punctual lights: then the file's lighting design is shown as made."""
    return setting if setting is not None else not scene.lights


def lighting_for(settings: RenderSettings) -> Lighting:
    """The rig a :class:`RenderSettings` asks for (its environment's tables made or
    reused from the per-process cache); the key light resolved per scene by
    :func:`key_light_on`."""
    return Lighting(
        ibl=get_ibl(resolve_environment(settings.environment)),
        rotation=settings.environment_rotation,
        intensity=settings.environment_intensity,
        tone_mapping=settings.tone_mapping,
        key_light=settings.key_light is not False,
    )


def light_view_proj(bounds: Bounds, direction: np.ndarray = LIGHT_DIRECTION) -> np.ndarray:
    """Orthographic light camera covering the model and its shadow on the ground."""
    r = bounds.radius
    center = bounds.center
    cam = Camera(
        position=tuple(center + direction * 3.0 * r),
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


def ground_rect(
    bounds: Bounds, direction: np.ndarray = LIGHT_DIRECTION
) -> tuple[np.ndarray, np.ndarray]:
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
    shift = (corners[:, 1] - ground) / direction[1]
    projected = corners - shift[:, None] * direction
    xz = np.concatenate([corners, projected])[:, [0, 2]]
    margin = SHADOW_MARGIN * bounds.radius
    lo, hi = xz.min(axis=0) - margin, xz.max(axis=0) + margin
    return (lo + hi) / 2.0, (hi - lo) / 2.0


def mirror_matrix(ground_y: float) -> np.ndarray:
    """Reflection through the plane y = ground_y."""
    m = np.diag([1.0, -1.0, 1.0, 1.0])
    m[1, 3] = 2.0 * ground_y
    return m

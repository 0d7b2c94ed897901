"""Camera paths for every dx.gl effect, and the framing distance that keeps the model in.

The camera orbits the vertical axis through the model's centre at a fixed elevation;
azimuth 0 looks at the model's front (+Z in glTF) and ``rotateY`` shifts the start. The
model (over the whole animation) lies inside a vertical cylinder about that axis, and
the orbit sees that cylinder the same from every azimuth, so one distance — found by
bisection so the cylinder's projection fills FILL of the frame in its tighter direction —
keeps the model inside on every frame and for every aspect, with a constant margin.
Only an explicit request to come closer (``zoom`` < 1, zoom-orbit radii < 1) can crop.

Effects (``t`` runs 0→1 over the video; turntable loops so frame N equals frame 0, the
others end exactly on their final pose at the last frame):

- turntable: azimuth = start + 360°·ease(t)
- hero-spin: sweeps ``sweepAngle`` (540°) at constant speed, decelerating to rest over the
  last ``easeOutRatio`` of the video, ending at the front
- showcase: swings ±``amplitude``/2 around the front (sine), ending where it started
- zoom-orbit: turntable with the distance going from ``zoomStart`` to ``zoomEnd`` × fit
- reveal: the model scales up from ``scaleFrom`` (ease-out) while the camera sweeps
  ``sweepAngle`` (180°) to the front
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from renderer.camera import Camera
from renderer.framing import Bounds
from renderer.settings import ASPECTS, RenderSettings
from renderer.transforms import scaling, translation

FOV_Y = 30.0
ELEVATION = 12.0
FILL = 0.9
"""The bounding sphere's angular radius as a fraction of the narrower half field of view
(in tangent space): a 10 % margin at the tightest edge."""


def ease_in_out(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(max(t, 0.0), 1.0))


def ease_out_cubic(t: float) -> float:
    return 1.0 - (1.0 - min(max(t, 0.0), 1.0)) ** 3


def hero_progress(t: float, ease_out_ratio: float) -> float:
    """0→1 at constant speed, then decelerating linearly to rest over the last fraction.

    The speed is continuous where deceleration starts, so the spin does not jerk.
    """
    r = ease_out_ratio
    v = 1.0 / (1.0 - r / 2.0)
    if t <= 1.0 - r:
        return v * t
    s = t - (1.0 - r)
    return min(1.0, v * (1.0 - r) + v * (s - s * s / (2.0 * r)))


@dataclass(frozen=True)
class FramePose:
    """What one frame needs from the path: the camera and the model's extra transform."""

    camera: Camera
    model: np.ndarray


class CameraPath:
    """The camera (and, for reveal, the model scale) for each frame of a video."""

    def __init__(self, settings: RenderSettings, bounds: Bounds, fov_y: float = FOV_Y) -> None:
        self.settings = settings
        self.bounds = bounds
        self.fov_y = fov_y
        aw, ah = ASPECTS[settings.aspect]
        self.aspect = settings.width / settings.height if settings.height else aw / ah
        self.fit_distance = fit_distance(bounds, fov_y, self.aspect)

    @property
    def frame_count(self) -> int:
        return self.settings.frame_count

    def progress(self, frame: int) -> float:
        """``t`` of ``frame``: frame/N for the looping turntable, frame/(N−1) otherwise."""
        n = self.frame_count
        if self.settings.effect == "turntable":
            return frame / n
        return frame / (n - 1) if n > 1 else 1.0

    def _ease(self, t: float) -> float:
        return ease_in_out(t) if self.settings.easing else min(max(t, 0.0), 1.0)

    def azimuth(self, frame: int) -> float:
        """Camera azimuth in degrees (0 = in front of the model, on +Z)."""
        s = self.settings
        t = self.progress(frame)
        if s.effect in ("turntable", "zoom-orbit"):
            return s.rotate_y + 360.0 * self._ease(t)
        if s.effect == "hero-spin":
            sweep = s.sweep_angle if s.sweep_angle is not None else 540.0
            return s.rotate_y - sweep * (1.0 - hero_progress(t, s.ease_out_ratio))
        if s.effect == "showcase":
            return s.rotate_y + s.amplitude / 2.0 * math.sin(2.0 * math.pi * self._ease(t))
        sweep = s.sweep_angle if s.sweep_angle is not None else 180.0  # reveal
        return s.rotate_y - sweep * (1.0 - self._ease(t))

    def distance(self, frame: int) -> float:
        s = self.settings
        d = self.fit_distance * s.zoom
        if s.effect == "zoom-orbit":
            e = self._ease(self.progress(frame))
            d *= s.zoom_start + (s.zoom_end - s.zoom_start) * e
        return d

    def model_scale(self, frame: int) -> float:
        s = self.settings
        if s.effect != "reveal":
            return 1.0
        return s.scale_from + (1.0 - s.scale_from) * ease_out_cubic(self.progress(frame))

    def camera(self, frame: int) -> Camera:
        target = self.bounds.center
        d = self.distance(frame)
        az, el = math.radians(self.azimuth(frame)), math.radians(ELEVATION)
        offset = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
        r = self.bounds.radius
        return Camera(
            position=tuple(float(x) for x in target + d * offset),  # type: ignore[arg-type]
            target=tuple(float(x) for x in target),  # type: ignore[arg-type]
            fov_y=self.fov_y,
            aspect=self.aspect,
            near=max(d - 2.0 * r, 0.02 * d),
            far=d + 5.0 * r,
        )

    def model_matrix(self, frame: int) -> np.ndarray:
        """Extra model transform: the reveal's scale about the bottom centre."""
        k = self.model_scale(frame)
        if k == 1.0:
            return np.eye(4)
        c = self.bounds.center
        pivot = np.array([c[0], self.bounds.lo[1], c[2]])
        return translation(pivot) @ scaling(max(k, 1e-4)) @ translation(-pivot)

    def pose(self, frame: int) -> FramePose:
        return FramePose(camera=self.camera(frame), model=self.model_matrix(frame))


def fit_distance(bounds: Bounds, fov_y: float, aspect: float) -> float:
    """Smallest distance at which the bounding cylinder projects within FILL of the frame.

    Evaluated at azimuth 0 (the orbit makes every azimuth equivalent) on the cylinder's
    rim circles; projection shrinks monotonically with distance, so bisection converges.
    """
    r, (lo, hi) = bounds.radius_xz, (float(bounds.lo[1]), float(bounds.hi[1]))
    angles = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    rim = np.stack([r * np.sin(angles), np.zeros_like(angles), r * np.cos(angles)], axis=1)
    center_y = (lo + hi) / 2.0
    offsets = np.array([[0.0, lo - center_y, 0.0], [0.0, hi - center_y, 0.0]])
    points = np.concatenate([rim + offsets[0], rim + offsets[1]])
    el = math.radians(ELEVATION)
    forward = -np.array([0.0, math.sin(el), math.cos(el)])
    up = np.array([0.0, math.cos(el), -math.sin(el)])
    tan_y = math.tan(math.radians(fov_y) / 2.0)
    tan_x = tan_y * aspect

    def fits(d: float) -> bool:
        rel = points - (-forward * d)
        depth = rel @ forward
        if np.any(depth <= 1e-9):
            return False
        x = np.abs(rel[:, 0]) / depth / tan_x
        y = np.abs(rel @ up) / depth / tan_y
        return bool(max(x.max(), y.max()) <= FILL)

    near, far = 1e-6, max(bounds.radius, 1e-6)
    while not fits(far):
        far *= 2.0
    for _ in range(60):
        mid = (near + far) / 2.0
        near, far = (near, mid) if fits(mid) else (mid, far)
    return far

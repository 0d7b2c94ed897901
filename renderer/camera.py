"""A pinhole camera: view and projection matrices from position, target, up and fov.

OpenGL conventions: the camera looks down its −Z axis, +Y up; ``camera_to_world`` is
the matrix nerfstudio and instant-ngp store as ``transform_matrix``. The projection is
symmetric with vertical field of view ``fov_y`` (degrees) and ``aspect`` = width/height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)
    fov_y: float = 30.0
    aspect: float = 16 / 9
    near: float = 0.01
    far: float = 1000.0

    def camera_to_world(self) -> np.ndarray:
        """4×4 pose: columns are the camera's right, up, back axes and its position."""
        eye = np.asarray(self.position, dtype=np.float64)
        forward = np.asarray(self.target, dtype=np.float64) - eye
        forward /= max(float(np.linalg.norm(forward)), 1e-30)
        right = np.cross(forward, np.asarray(self.up, dtype=np.float64))
        if np.linalg.norm(right) < 1e-9:  # looking along up: pick any perpendicular
            right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, -forward, eye
        return m

    def view_matrix(self) -> np.ndarray:
        """World → camera (the inverse of :meth:`camera_to_world`)."""
        c2w = self.camera_to_world()
        r = c2w[:3, :3]
        view = np.eye(4)
        view[:3, :3] = r.T
        view[:3, 3] = -r.T @ c2w[:3, 3]
        return view

    def projection_matrix(self) -> np.ndarray:
        """OpenGL clip-space perspective projection."""
        f = 1.0 / math.tan(math.radians(self.fov_y) / 2.0)
        n, fa = self.near, self.far
        return np.array(
            [
                [f / self.aspect, 0, 0, 0],
                [0, f, 0, 0],
                [0, 0, (fa + n) / (n - fa), 2 * fa * n / (n - fa)],
                [0, 0, -1, 0],
            ],
            dtype=np.float64,
        )

    def focal_length_px(self, height: int) -> float:
        """Focal length in pixels for an image ``height`` pixels tall (fl_x = fl_y)."""
        return height / (2.0 * math.tan(math.radians(self.fov_y) / 2.0))

    def screen_rect(
        self, points: np.ndarray, width: int, height: int, pad: int = 2
    ) -> tuple[int, int, int, int] | None:
        """Pixel rectangle (x, y from the top, w, h) holding ``points``' projections.

        None when a point is at or behind the camera plane (the projection is unbounded);
        the caller then uses the whole frame.
        """
        clip = (
            np.c_[points, np.ones(len(points))] @ (self.projection_matrix() @ self.view_matrix()).T
        )
        if np.any(clip[:, 3] <= 1e-9):
            return None
        ndc = clip[:, :2] / clip[:, 3:4]
        xs = (ndc[:, 0] * 0.5 + 0.5) * width
        ys = (0.5 - ndc[:, 1] * 0.5) * height
        x0 = max(0, int(np.floor(xs.min())) - pad)
        y0 = max(0, int(np.floor(ys.min())) - pad)
        x1 = min(width, int(np.ceil(xs.max())) + pad)
        y1 = min(height, int(np.ceil(ys.max())) + pad)
        if x1 <= x0 or y1 <= y0:
            return (0, 0, 0, 0)
        return (x0, y0, x1 - x0, y1 - y0)

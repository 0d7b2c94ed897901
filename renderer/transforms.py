"""Small 4×4 / quaternion helpers (float64, column-vector convention: ``M @ v``)."""

from __future__ import annotations

import math

import numpy as np


def translation(t: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = t
    return m


def scaling(s: np.ndarray | tuple[float, float, float] | float) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] *= np.broadcast_to(np.asarray(s, dtype=np.float64), (3,))
    return m


def rotation_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1]], dtype=np.float64)


def rotation_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1]], dtype=np.float64)


def rotation_z(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) → 3×3 rotation."""
    x, y, z, w = q / max(float(np.linalg.norm(q)), 1e-30)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def trs(t: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = quat_to_matrix(r) * s[None, :]
    m[:3, 3] = t
    return m


def slerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    """Shortest-path spherical interpolation of unit quaternions."""
    dot = float(np.dot(a, b))
    if dot < 0.0:
        b, dot = -b, -dot
    if dot > 0.9995:
        out = a + u * (b - a)
    else:
        theta = math.acos(dot)
        out = (math.sin((1 - u) * theta) * a + math.sin(u * theta) * b) / math.sin(theta)
    return out / max(float(np.linalg.norm(out)), 1e-30)


def transform_points(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:3, :3].T + m[:3, 3]

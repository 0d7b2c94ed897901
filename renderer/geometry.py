"""Vertex data the file may omit: flat normals and tangents.

glTF says a primitive without NORMAL gets flat normals, and a normal-mapped one without
TANGENT gets MikkTSpace tangents. Both are computed once at load time with vectorised
numpy (no per-frame work).
"""

from __future__ import annotations

import numpy as np


def unweld(arrays: dict[str, np.ndarray], indices: np.ndarray) -> dict[str, np.ndarray]:
    """Expand indexed attributes so every triangle corner has its own vertex."""
    return {name: values[indices] for name, values in arrays.items()}


def face_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Unit normals of each triangle (T×3), zero for degenerate triangles."""
    tri = positions[indices.reshape(-1, 3)]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0).astype(np.float32)


def flat_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Per-vertex normals for an unwelded triangle list (vertex i belongs to tri i//3)."""
    return np.repeat(face_normals(positions, indices), 3, axis=0)


def tangents(
    positions: np.ndarray, normals: np.ndarray, uvs: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """Per-vertex tangents (N×4, xyz + handedness w) in the MikkTSpace style.

    Triangle tangents are accumulated per vertex weighted by the triangle's UV area, then
    orthogonalised against the normal (Gram-Schmidt); w is the bitangent sign. This
    matches MikkTSpace on the welded meshes exporters write; it differs only at UV seams
    that split a vertex, which exporters split anyway.
    """
    tri = indices.reshape(-1, 3)
    p0, p1, p2 = positions[tri[:, 0]], positions[tri[:, 1]], positions[tri[:, 2]]
    w0, w1, w2 = uvs[tri[:, 0]], uvs[tri[:, 1]], uvs[tri[:, 2]]
    e1, e2 = p1 - p0, p2 - p0
    d1, d2 = w1 - w0, w2 - w0
    det = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    r = np.divide(1.0, det, out=np.zeros_like(det), where=np.abs(det) > 1e-20)[:, None]
    sdir = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) * r
    tdir = (e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) * r
    tan = np.zeros_like(positions, dtype=np.float64)
    bit = np.zeros_like(positions, dtype=np.float64)
    for corner in range(3):
        np.add.at(tan, tri[:, corner], sdir)
        np.add.at(bit, tri[:, corner], tdir)
    n = normals.astype(np.float64)
    t = tan - n * np.sum(n * tan, axis=1, keepdims=True)
    length = np.linalg.norm(t, axis=1, keepdims=True)
    fallback = _any_perpendicular(n)
    t = np.where(length > 1e-12, t / np.maximum(length, 1e-30), fallback)
    w = np.where(np.sum(np.cross(n, t) * bit, axis=1) < 0.0, -1.0, 1.0)
    return np.concatenate([t, w[:, None]], axis=1).astype(np.float32)


def _any_perpendicular(n: np.ndarray) -> np.ndarray:
    helper = np.where(np.abs(n[:, 1:2]) < 0.99, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    t = np.cross(helper, n)
    return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-30)

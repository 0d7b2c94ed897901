"""A closed triangle mesh around the positive region of a sampled scalar field.

Naive surface nets (Gibson 1998): one vertex per grid cell that the surface crosses,
placed at the mean of the points where the field crosses zero on the cell's edges; one
quad per crossed grid edge, joining the four cells around it. Chosen over marching cubes
because it needs no 256-case table (neither scikit-image nor PyMCubes is a dependency)
and yields fewer, better-shaped triangles; the field's linear crossings keep the
surface within a fraction of a cell of the true boundary. The field must be negative on
the grid's outer layer, so the surface is closed.
"""

from __future__ import annotations

import itertools

import fast_simplification
import numpy as np
import trimesh

CORNERS = np.array(list(itertools.product((0, 1), repeat=3)))
"""The 8 corners of a cell as (dx, dy, dz) offsets."""

EDGES = [
    (a, b)
    for a, b in itertools.combinations(range(8), 2)
    if np.abs(CORNERS[a] - CORNERS[b]).sum() == 1
]
"""The 12 edges of a cell as pairs of corner indices."""


def surface_nets(
    field: np.ndarray, origin: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (n, 3) float64, triangles (m, 3) int64) of ``field``'s zero level set,
    positive inside, outward-facing (counter-clockwise seen from outside).

    ``field[i, j, k]`` is the value at ``origin + spacing * (i, j, k)``.
    """
    inside = field > 0
    cells = np.array(field.shape) - 1
    corner_values = [
        field[dx : dx + cells[0], dy : dy + cells[1], dz : dz + cells[2]] for dx, dy, dz in CORNERS
    ]
    total = np.zeros((*cells, 3))
    count = np.zeros(tuple(cells))
    for a, b in EDGES:
        fa, fb = corner_values[a], corner_values[b]
        crossed = (fa > 0) != (fb > 0)
        t = np.where(crossed, fa / np.where(crossed, fa - fb, 1.0), 0.0)
        point = CORNERS[a] + t[..., None] * (CORNERS[b] - CORNERS[a])
        total += np.where(crossed[..., None], point, 0.0)
        count += crossed
    active = count > 0
    vertex_of = np.full(tuple(cells), -1, dtype=np.int64)
    vertex_of[active] = np.arange(int(active.sum()))
    cell_index = np.argwhere(active)
    vertices = origin + spacing * (cell_index + total[active] / count[active][:, None])

    quads = []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        a_in, b_in = inside[tuple(lo)], inside[tuple(hi)]
        crossed = a_in != b_in
        # Edges on the grid's outer faces have no four cells around them; the field's
        # negative outer layer guarantees none of them is crossed.
        where = np.argwhere(crossed)
        where = where[(where[:, u] >= 1) & (where[:, v] >= 1)]
        around = []
        for du, dv in ((1, 1), (0, 1), (0, 0), (1, 0)):
            cell = where.copy()
            cell[:, u] -= du
            cell[:, v] -= dv
            around.append(vertex_of[cell[:, 0], cell[:, 1], cell[:, 2]])
        quad = np.stack(around, axis=1)
        # (u, v) counter-clockwise makes the normal point along +axis: right for an
        # edge whose inside end is the lower one, reversed otherwise.
        flip = ~a_in[tuple(where.T)]
        quad[flip] = quad[flip][:, ::-1]
        quads.append(quad)
    quad = np.concatenate(quads)
    return vertices, _split(vertices, quad)


def _split(vertices: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Two triangles per quad, cut along its shorter diagonal (fewer slivers)."""
    p = vertices[quad]
    d02 = np.linalg.norm(p[:, 0] - p[:, 2], axis=1)
    d13 = np.linalg.norm(p[:, 1] - p[:, 3], axis=1)
    by02 = d02 <= d13
    a = np.where(by02[:, None], quad[:, [0, 1, 2]], quad[:, [0, 1, 3]])
    b = np.where(by02[:, None], quad[:, [0, 2, 3]], quad[:, [1, 2, 3]])
    return np.concatenate([a, b])


SMOOTHING_ITERATIONS = 40


def smoothed(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Taubin-smoothed vertices: the grid's row-by-row facets, which light as stripes,
    are ironed out while the volume (and so the outline) barely moves."""
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    trimesh.smoothing.filter_taubin(mesh, lamb=0.5, nu=0.53, iterations=SMOOTHING_ITERATIONS)
    return np.asarray(mesh.vertices)


def decimated(
    vertices: np.ndarray, faces: np.ndarray, max_triangles: int
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_triangles``, by quadric edge collapses (flat sides, a box's most of
    all, need few triangles; the grid gives them two per voxel face)."""
    if len(faces) <= max_triangles:
        return vertices, faces
    points, triangles = fast_simplification.simplify(
        vertices.astype(np.float64), faces.astype(np.int32), target_count=max_triangles
    )
    kept = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    return np.asarray(points, dtype=np.float64), kept

"""Colours for the carved surface: the pictures themselves, laid out as one texture.

Each triangle takes its colour from the view that sees it most squarely among those
that see it at all (a voxel depth test rejects a view where another part of the hull
is in front); its corners' UVs are their projections into that view's picture. The
atlas holds a square crop of every picture around its silhouette; background pixels
there are overwritten with the nearest object colour (taken a little inside the
outline, where anti-aliasing has not mixed in the backdrop), so filtering and mipmaps
never bleed the backdrop onto the model's rim.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from reconstruction.carving import Grid
from reconstruction.segment import Silhouette
from reconstruction.views import View

TILE = 512
"""Side of each view's square in the atlas, in texels."""

CROP_MARGIN = 1.08
"""The crop's side over the silhouette's larger extent."""

RIM_PX = 2
"""Pixels inside the outline whose colour is not trusted (blended with the backdrop)."""

MIRROR_PENALTY = 0.5
"""How much worse the opposite view's mirrored colours are than a frontal sight."""

OCCLUSION_VOXELS = 2.0
"""How far behind the front-most hull surface a point may be and still count as seen."""


@dataclass(frozen=True)
class Textured:
    positions: np.ndarray
    """(n, 3) object-frame positions, vertices split where their triangles use different views."""
    indices: np.ndarray
    normals: np.ndarray
    uvs: np.ndarray
    png: bytes
    faces_per_view: tuple[int, ...]


@dataclass(frozen=True)
class _Crop:
    x0: float
    y0: float
    side: float
    tile: tuple[int, int]


def texture(
    vertices: np.ndarray,
    faces: np.ndarray,
    shots: list[tuple[View, Silhouette]],
    grid: Grid,
) -> Textured:
    normals = _vertex_normals(vertices, faces)
    face_view = _choose_views(vertices, faces, shots, grid)
    columns = min(len(shots), 2)
    rows = math.ceil(len(shots) / columns)
    atlas = Image.new("RGB", (columns * TILE, rows * TILE))
    crops = []
    for i, (_, shot) in enumerate(shots):
        crop, tile = _crop(shot, (i % columns, i // columns))
        atlas.paste(tile, (crop.tile[0] * TILE, crop.tile[1] * TILE))
        crops.append(crop)

    keys = faces * len(shots) + face_view[:, None]
    unique, inverse = np.unique(keys.ravel(), return_inverse=True)
    source, view_of = unique // len(shots), unique % len(shots)
    uvs = np.empty((len(unique), 2))
    for i, (view, shot) in enumerate(shots):
        pick = view_of == i
        col, row = _pixel(view, shot, vertices[source[pick]])
        crop = crops[i]
        uvs[pick, 0] = (crop.tile[0] + (col + 0.5 - crop.x0) / crop.side) / columns
        uvs[pick, 1] = (crop.tile[1] + (row + 0.5 - crop.y0) / crop.side) / rows
    buffer = io.BytesIO()
    atlas.save(buffer, format="PNG")
    return Textured(
        positions=vertices[source],
        indices=inverse.reshape(-1, 3),
        normals=normals[source],
        uvs=uvs,
        png=buffer.getvalue(),
        faces_per_view=tuple(int((face_view == i).sum()) for i in range(len(shots))),
    )


def _pixel(view: View, shot: Silhouette, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column and row (pixel centres at integers) where ``points`` appear in ``shot``."""
    col = shot.centre_x + shot.height_px * view.image_x(points)
    row = shot.centre_y - shot.height_px * points[:, 1]
    return col, row


def _choose_views(
    vertices: np.ndarray,
    faces: np.ndarray,
    shots: list[tuple[View, Silhouette]],
    grid: Grid,
) -> np.ndarray:
    corners = vertices[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    centroid = corners.mean(axis=1)
    scores = np.empty((len(faces), len(shots)))
    for i, (view, _) in enumerate(shots):
        facing = normal @ np.asarray(view.toward_camera)
        seen = (facing > 0) & _seen(view, centroid, grid)
        # A view that sees the triangle scores its obliquity; a side no view sees (2 or 3
        # pictures) borrows the opposite view's colours, mirrored — better than a grazing
        # view's smeared rim, worse than any real sight; a view where another part of the
        # hull is in front ranks last.
        mirrored = -facing - MIRROR_PENALTY
        scores[:, i] = np.where(seen, facing, np.where(facing < 0, mirrored, facing - 3.0))
    return np.argmax(scores, axis=1)


def _seen(view: View, points: np.ndarray, grid: Grid) -> np.ndarray:
    """Whether ``points`` lie on the hull surface nearest the camera of ``view``."""
    inside = grid.field > 0
    toward = np.asarray(view.toward_camera)
    axis = view.depth
    positions = grid.origin[axis] + grid.spacing * np.arange(inside.shape[axis])
    nearness = positions * toward[axis]
    shape = [1, 1, 1]
    shape[axis] = -1
    front = np.where(inside, nearness.reshape(shape), -np.inf).max(axis=axis)
    index = np.rint((points - grid.origin) / grid.spacing).astype(np.int64)
    index = np.clip(index, 0, np.array(inside.shape) - 1)
    keep = [a for a in range(3) if a != axis]
    surface = front[index[:, keep[0]], index[:, keep[1]]]
    return points @ toward >= surface - OCCLUSION_VOXELS * grid.spacing


def _crop(shot: Silhouette, tile: tuple[int, int]) -> tuple[_Crop, Image.Image]:
    trusted = ndimage.binary_erosion(shot.mask, iterations=RIM_PX)
    if not trusted.any():
        trusted = shot.mask
    _, nearest = ndimage.distance_transform_edt(~trusted, return_indices=True)
    filled = shot.rgb[nearest[0], nearest[1]]
    cols = np.flatnonzero(shot.mask.any(axis=0))
    side = CROP_MARGIN * max(shot.height_px, float(cols[-1] - cols[0] + 1))
    x0, y0 = shot.centre_x + 0.5 - side / 2.0, shot.centre_y + 0.5 - side / 2.0
    box = (x0, y0, x0 + side, y0 + side)
    # Beyond the picture's edge the crop repeats its outermost pixels (edge padding).
    pad = math.ceil(side)
    padded = Image.fromarray(np.pad(filled, ((pad, pad), (pad, pad), (0, 0)), mode="edge"))
    shifted = (box[0] + pad, box[1] + pad, box[2] + pad, box[3] + pad)
    image = padded.resize((TILE, TILE), Image.Resampling.LANCZOS, box=shifted)
    return _Crop(x0=x0, y0=y0, side=side, tile=tile), image


def _vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted mean of the adjacent triangles' normals (smooth shading)."""
    corners = vertices[faces]
    face_normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, faces[:, k], face_normal)
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)

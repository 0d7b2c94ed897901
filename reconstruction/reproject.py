"""How well the carved mesh explains the pictures: its outline in each view against the
silhouette cut from that picture (intersection over union, in the picture's pixels).

A closed mesh's outline is the union of its triangles that face the camera, so only
those are drawn (with PIL, at the working size of the picture).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from reconstruction.segment import Silhouette
from reconstruction.views import View


def outline(view: View, shot: Silhouette, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(h, w) bool: the pixels the mesh covers in ``view``, framed as ``shot`` is."""
    corners = vertices[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    front = faces[normal @ np.asarray(view.toward_camera) > 0]
    # PIL's polygon coordinates are pixel edges: pixel centres sit at +0.5.
    x = shot.centre_x + 0.5 + shot.height_px * view.image_x(vertices)
    y = shot.centre_y + 0.5 - shot.height_px * vertices[:, 1]
    h, w = shot.mask.shape
    canvas = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    for a, b, c in front.tolist():
        draw.polygon([(x[a], y[a]), (x[b], y[b]), (x[c], y[c])], fill=1)
    return np.asarray(canvas, dtype=bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0

"""``overview.webp``: RGB, depth, normals and masks of up to 100 views at a glance.

Four quadrants (RGB top-left, depth top-right, normals bottom-left, masks bottom-right),
each a 10×10 grid of views sampled evenly across the dataset. Thumbnails are kept as
they are rendered (a few KB each); depth thumbnails stay float until the dataset's
near/far are known, then use the same 8-bit encoding as ``depth/``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from datasets.depth import DepthRange

GRID = 10
CELL = 96
"""Thumbnail side in pixels: the sheet is 2 × 10 × 96 = 1920 px square."""


def sampled_views(views: int) -> list[int]:
    """Indices of the views shown: all of them up to 100, else 100 spread evenly."""
    if views <= GRID * GRID:
        return list(range(views))
    return [round(i * (views - 1) / (GRID * GRID - 1)) for i in range(GRID * GRID)]


@dataclass
class ContactSheet:
    views: int
    shown: set[int] = field(init=False)
    rgb: list[np.ndarray] = field(default_factory=list)
    depth: list[np.ndarray] = field(default_factory=list)
    normals: list[np.ndarray] = field(default_factory=list)
    masks: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.shown = set(sampled_views(self.views))

    def add(
        self,
        index: int,
        rgb: np.ndarray,
        depth: np.ndarray,
        normals_rgb: np.ndarray,
        mask: np.ndarray,
    ) -> None:
        """Keep thumbnails of view ``index`` if it is one of the sampled views."""
        if index not in self.shown:
            return
        self.rgb.append(_thumb(rgb, Image.Resampling.BOX))
        self.normals.append(_thumb(normals_rgb, Image.Resampling.NEAREST))
        self.masks.append(_thumb(mask, Image.Resampling.BOX))
        step = max(1, depth.shape[0] // CELL)
        small = Image.fromarray(np.ascontiguousarray(depth[::step, ::step], dtype=np.float32))
        self.depth.append(np.asarray(small.resize((CELL, CELL), Image.Resampling.NEAREST)))

    def webp_bytes(self, depth_range: DepthRange) -> bytes:
        """The four-quadrant sheet as WebP."""
        depth8 = [depth_range.encode(d, 8) for d in self.depth]
        quadrants = [
            _grid(self.rgb, 3),
            _grid([np.repeat(d[..., None], 3, axis=2) for d in depth8], 3),
            _grid(self.normals, 3),
            _grid([np.repeat(m[..., None], 3, axis=2) for m in self.masks], 3),
        ]
        top = np.concatenate(quadrants[:2], axis=1)
        bottom = np.concatenate(quadrants[2:], axis=1)
        buf = io.BytesIO()
        Image.fromarray(np.concatenate([top, bottom], axis=0)).save(
            buf, format="WEBP", quality=85, method=4
        )
        return buf.getvalue()


def _thumb(pixels: np.ndarray, resample: Image.Resampling) -> np.ndarray:
    return np.asarray(Image.fromarray(pixels).resize((CELL, CELL), resample))


def _grid(cells: list[np.ndarray], channels: int) -> np.ndarray:
    """Cells laid out row by row on a 10×10 black grid."""
    out = np.zeros((GRID * CELL, GRID * CELL, channels), np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, GRID)
        out[r * CELL : (r + 1) * CELL, c * CELL : (c + 1) * CELL] = cell
    return out

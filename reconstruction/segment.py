"""One picture → the object's silhouette, its colours, and where it sits in the frame.

The background is what the border shows: its median colour, and it must be plain (most
border pixels close to that median), or there is no telling object from backdrop. The
object is every pixel far from that colour — or, when the PNG carries a real alpha
channel, every pixel that is mostly opaque. Morphological opening drops specks and thin
halos; closing mends cracks where the object's colour nears the background; holes
smaller than a small share of the silhouette are filled (a highlight the background's
colour), larger ones are kept (a handle's opening is a real hole).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from reconstruction.errors import ReconstructionFailed

WORK_SIDE = 1024
"""Longer side pictures are brought down to: enough for a 96³ grid and its texture."""

BORDER_SHARE = 0.02
"""Width of the border band (share of the shorter side) that samples the background."""

PLAIN_SHARE = 0.9
"""Share of border pixels that must be close to the background colour."""

COLOUR_THRESHOLD = 40.0
"""Distance in 8-bit RGB beyond which a pixel is not background (a plain backdrop's noise
and a render's anti-aliasing stay well under it)."""

HOLE_SHARE = 0.01
"""Holes smaller than this share of the silhouette are filled."""

MIN_FOREGROUND_SHARE = 0.001
"""Below this share of the frame there is no object to speak of."""


@dataclass(frozen=True)
class Silhouette:
    name: str
    """The picture's file name (what a refusal names)."""
    mask: np.ndarray
    """(h, w) bool: the object."""
    rgb: np.ndarray
    """(h, w, 3) uint8, the picture at working size."""
    background: tuple[int, int, int]
    top: int
    bottom: int
    """First and last rows of the object (inclusive)."""
    centre_x: float
    """Column of the middle of the object's horizontal extent."""

    @property
    def height_px(self) -> float:
        return float(self.bottom - self.top + 1)

    @property
    def centre_y(self) -> float:
        return (self.top + self.bottom) / 2.0


def segment(path: Path) -> Silhouette:
    rgb, alpha = _load(path)
    name = path.name
    background, plain = _background(rgb)
    if alpha is not None:
        mask = alpha >= 128
    elif not plain:
        raise ReconstructionFailed(
            f"{name}: the background is not plain — photograph the object against one "
            "even colour (or give a PNG with transparency) so it can be cut out"
        )
    else:
        distance = np.linalg.norm(rgb.astype(np.float32) - np.asarray(background), axis=2)
        mask = distance > COLOUR_THRESHOLD
    mask = _clean(mask)
    if mask.mean() < MIN_FOREGROUND_SHARE:
        raise ReconstructionFailed(
            f"{name}: no object found — the picture is all background (one colour)"
        )
    if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
        raise ReconstructionFailed(
            f"{name}: the object touches the edge of the picture — it must lie wholly "
            "inside the frame with some background all around it"
        )
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return Silhouette(
        name=name,
        mask=mask,
        rgb=rgb,
        background=background,
        top=int(rows[0]),
        bottom=int(rows[-1]),
        centre_x=(cols[0] + cols[-1]) / 2.0,
    )


def _load(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        with Image.open(path) as opened:
            opened.load()
            has_alpha = "A" in opened.getbands() or "transparency" in opened.info
            # A phone's picture stands as the phone was held (its EXIF orientation).
            image = ImageOps.exif_transpose(opened).convert("RGBA" if has_alpha else "RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ReconstructionFailed(f"{path.name}: not a readable picture ({exc})") from exc
    scale = WORK_SIDE / max(image.size)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    pixels = np.asarray(image)
    if not has_alpha:
        return pixels, None
    alpha = pixels[..., 3]
    # An alpha channel that is opaque everywhere says nothing: the colours decide.
    return pixels[..., :3].copy(), (alpha if alpha.min() < 128 else None)


def _background(rgb: np.ndarray) -> tuple[tuple[int, int, int], bool]:
    band = max(1, round(BORDER_SHARE * min(rgb.shape[:2])))
    border = np.concatenate(
        [
            rgb[:band].reshape(-1, 3),
            rgb[-band:].reshape(-1, 3),
            rgb[:, :band].reshape(-1, 3),
            rgb[:, -band:].reshape(-1, 3),
        ]
    ).astype(np.float32)
    median = np.median(border, axis=0)
    close = np.linalg.norm(border - median, axis=1) <= COLOUR_THRESHOLD
    colour = (int(median[0]), int(median[1]), int(median[2]))
    return colour, bool(close.mean() >= PLAIN_SHARE)


def _clean(mask: np.ndarray) -> np.ndarray:
    radius = max(1, round(0.004 * max(mask.shape)))
    disc = _disc(radius)
    mask = ndimage.binary_opening(mask, structure=disc)
    # Closing near the frame's edge must not invent object there: pad, close, unpad.
    pad = radius + 1
    mask = ndimage.binary_closing(np.pad(mask, pad), structure=disc)[pad:-pad, pad:-pad]
    labels, count = ndimage.label(mask)
    if count:
        sizes = np.bincount(labels.ravel())[1:]
        mask = np.isin(labels, 1 + np.flatnonzero(sizes >= 0.01 * sizes.max()))
    holes = ndimage.binary_fill_holes(mask) & ~mask
    hole_labels, hole_count = ndimage.label(holes)
    if hole_count:
        sizes = np.bincount(hole_labels.ravel())[1:]
        small = 1 + np.flatnonzero(sizes < HOLE_SHARE * mask.sum())
        mask = mask | np.isin(hole_labels, small)
    return mask


def _disc(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius

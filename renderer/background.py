"""The frame's backdrop as an output-size RGBA8 image: background and vignette.

``bgColor`` fills the frame; a background image is scaled to cover it (keeping aspect)
and cropped from one of the nine ``bgAlign`` anchors, as the dx.gl overlay docs
describe. An image with alpha is laid over ``bgColor``. The vignette is applied here,
once per job, with the formula resolve.frag applies to the model's pixels.
"""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage

from renderer.settings import RenderSettings


def background_pixels(settings: RenderSettings) -> np.ndarray:
    """H×W×4 uint8, top row first, alpha 255."""
    w, h = settings.width, settings.height
    color = np.round(np.asarray(settings.bg_color) * 255.0).astype(np.uint8)
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = color
    out[..., 3] = 255
    if settings.bg_image is None:
        return out
    cropped = cover_crop(settings.bg_image, w, h, settings.bg_align)
    if cropped.shape[2] == 4:
        a = cropped[..., 3:4].astype(np.float32) / 255.0
        rgb = cropped[..., :3] * a + out[..., :3] * (1.0 - a)
        out[..., :3] = np.round(rgb).astype(np.uint8)
    else:
        out[..., :3] = cropped
    return out


def vignette_factor(width: int, height: int, vignette: float) -> np.ndarray:
    """H×W multiplier: ``1 − vignette · 0.65 · smoothstep(0.35, 1, r)`` at pixel centres,
    r = distance from the centre over the half diagonal (exactly 1 when vignette is 0)."""
    x = ((np.arange(width) + 0.5) / width) * 2.0 - 1.0
    y = ((np.arange(height) + 0.5) / height) * 2.0 - 1.0
    r = np.sqrt(x[None, :] ** 2 + y[:, None] ** 2) / np.sqrt(2.0)
    t = np.clip((r - 0.35) / 0.65, 0.0, 1.0)
    return 1.0 - vignette * 0.65 * t * t * (3.0 - 2.0 * t)


def backdrop_pixels(settings: RenderSettings) -> np.ndarray:
    """The background with the vignette applied: what frames show where the model is not."""
    pixels = background_pixels(settings)
    if settings.vignette > 0.0:
        factor = vignette_factor(settings.width, settings.height, settings.vignette)
        pixels[..., :3] = np.round(pixels[..., :3] * factor[..., None]).astype(np.uint8)
    return pixels


def cover_crop(image: np.ndarray, width: int, height: int, align: str) -> np.ndarray:
    """Scale ``image`` to cover width×height, then crop at anchor ``align``."""
    ih, iw = image.shape[:2]
    scale = max(width / iw, height / ih)
    sw, sh = max(width, round(iw * scale)), max(height, round(ih * scale))
    resized = np.asarray(PILImage.fromarray(image).resize((sw, sh), PILImage.Resampling.LANCZOS))
    vertical, _, horizontal = align.partition("-")
    if align == "center":
        vertical, horizontal = "center", "center"
    x0 = {"left": 0, "center": (sw - width) // 2, "right": sw - width}[horizontal]
    y0 = {"top": 0, "center": (sh - height) // 2, "bottom": sh - height}[vertical]
    return resized[y0 : y0 + height, x0 : x0 + width]

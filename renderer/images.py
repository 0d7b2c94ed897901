"""Texture images: PNG/JPEG/WebP bytes → RGBA8 arrays, with size limits.

The header's claimed size is checked before any pixel is decoded, so a file that claims
50 000 × 50 000 pixels costs nothing; images above ``MAX_TEXTURE_SIDE`` are downscaled
(keeping aspect) because the frame cannot show more detail than that anyway.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image as PILImage

from renderer import limits
from renderer.errors import InvalidModel, ModelTooLarge, UnsupportedModel

SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP")


def decode_image(data: bytes, label: str) -> np.ndarray:
    """Decode one image to an H×W×4 uint8 array (top row first)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            img = PILImage.open(io.BytesIO(data), formats=None)
    except PILImage.DecompressionBombError:
        raise ModelTooLarge(f"{label} claims too many pixels") from None
    except (OSError, SyntaxError, PILImage.DecompressionBombWarning, ValueError):
        raise UnsupportedModel(f"{label} is not a PNG, JPEG or WebP image we can decode") from None
    if img.format not in SUPPORTED_FORMATS:
        raise UnsupportedModel(f"{label} is a {img.format} image; use PNG, JPEG or WebP")
    width, height = img.size
    if width * height > limits.MAX_TEXTURE_PIXELS:
        raise ModelTooLarge(
            f"{label} claims {width}×{height} pixels; the limit is "
            f"{limits.MAX_TEXTURE_PIXELS} pixels"
        )
    try:
        if max(width, height) > limits.MAX_TEXTURE_SIDE:
            img.draft("RGB", (limits.MAX_TEXTURE_SIDE, limits.MAX_TEXTURE_SIDE))
        rgba = img.convert("RGBA")
        if max(rgba.size) > limits.MAX_TEXTURE_SIDE:
            rgba.thumbnail((limits.MAX_TEXTURE_SIDE, limits.MAX_TEXTURE_SIDE))
        return np.asarray(rgba, dtype=np.uint8)  # read-only: textures are never edited
    except (OSError, ValueError, SyntaxError):
        raise InvalidModel(f"{label} is corrupt and cannot be decoded") from None

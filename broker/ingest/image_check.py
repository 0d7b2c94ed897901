"""Images at upload: overlays are decoded once in full, model textures only read as headers.

Pillow reads the header lazily and happily opens a truncated PNG; the renderer would then
fail on every render that uses it. An overlay is decoded here, within a pixel budget checked
from the header first (a 10 MB PNG can claim 100 000² pixels), so a bad image is a 400 at
upload. A model's textures can be many and large: only their headers are read
(:mod:`exchange.images`, shared with the renderer) — no pixel is decoded in the API process.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from exchange.images import FORMATS, CheckedImage, ImageInvalid

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000

__all__ = ["CONTENT_TYPES", "CheckedImage", "ImageInvalid", "check_image"]


def check_image(path: Path) -> CheckedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                kind = FORMATS.get(img.format or "")
                if kind is None:
                    raise ImageInvalid(f"{img.format or 'unknown'} images are not supported")
                width, height = img.size
                if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                    raise ImageInvalid(
                        f"{width}×{height} is too large (at most {MAX_SIDE} px a side and "
                        f"{MAX_PIXELS // 1_000_000} megapixels)"
                    )
                img.load()
    except ImageInvalid:
        raise
    except UnidentifiedImageError:  # its message names the file, a path on this server
        raise ImageInvalid("the data is not a PNG, JPEG or WebP image") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        reason = str(exc).replace(str(path), "the image")
        raise ImageInvalid(f"the image cannot be decoded ({reason})") from None
    return CheckedImage(kind, width, height)

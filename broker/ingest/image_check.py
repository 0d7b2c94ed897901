"""Overlay images: decode the whole file once before it is accepted.

Pillow reads the header lazily and happily opens a truncated PNG; the renderer would then
fail on every render that uses it. A full decode here, within a pixel budget checked from
the header first (a 10 MB PNG can claim 100 000² pixels), makes a bad image a 400 at upload.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000


class ImageInvalid(ValueError):
    """The file is not a usable PNG, JPEG or WebP image; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    image_format: str
    width: int
    height: int


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

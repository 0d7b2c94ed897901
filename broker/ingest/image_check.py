"""Images at upload: overlays are decoded once in full, model textures only read as headers.

Pillow reads the header lazily and happily opens a truncated PNG; the renderer would then
fail on every render that uses it. An overlay is decoded here, within a pixel budget checked
from the header first (a 10 MB PNG can claim 100 000² pixels), so a bad image is a 400 at
upload. A model's textures can be many and large: for them the header gives the size the
model's texture budget is checked against, and a PNG's chunk checksums are verified as a
stream — no pixel is decoded in the API process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def image_header(stream: BinaryIO, label: str, *, any_format: bool = False) -> CheckedImage:
    """Format and size of the PNG, JPEG or WebP (``any_format``: any image Pillow reads) in
    ``stream``, without decoding pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream, formats=None if any_format else tuple(FORMATS)) as img:
                kind, (width, height) = FORMATS.get(img.format or "", "other"), img.size
                if img.format == "PNG":
                    img.verify()  # every chunk's CRC, read as a stream, up to IEND
    except Image.DecompressionBombError:
        raise ImageInvalid(
            f"{label} claims more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels"
        ) from None
    except Exception:  # Pillow's parsers raise many types on hostile bytes; all mean "bad"
        kinds = "image" if any_format else "PNG, JPEG or WebP image"
        raise ImageInvalid(f"{label} is not a readable {kinds}") from None
    return CheckedImage(kind, width, height)

"""Model textures as their headers say: format and size, read without decoding pixels.

What a texture costs to decode is known from its header; the limits on it
(:mod:`exchange.textures`) are checked from here before any pixel is decoded, at upload
and at render alike. PNG, JPEG and WebP headers are read by Pillow, restricted to those
formats (no other parser sees the bytes), and a PNG's chunk checksums are verified as a
stream; a KTX 2 texture (KHR_texture_basisu) is read from its fixed header. Pillow opens a
truncated PNG happily and fails later — here that is a refusal.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported

FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
KTX2_MAGIC = b"\xabKTX 20\xbb\r\n\x1a\n"


class ImageInvalid(AssetInvalid):
    """The bytes are not a usable image of the kind asked for; the message says why."""


class ImageUnsupported(ImageInvalid, AssetUnsupported):
    """Not an image of a format that is read here."""


class ImageTooLarge(ImageInvalid, AssetTooLarge):
    """The header claims more pixels than Pillow's decompression-bomb guard allows."""


@dataclass(frozen=True)
class CheckedImage:
    image_format: str
    width: int
    height: int


def is_ktx2(head: bytes) -> bool:
    return head[:12] == KTX2_MAGIC


def ktx2_header(stream: BinaryIO, label: str) -> CheckedImage:
    """Size of the KTX 2 image in ``stream`` (its header: identifier, vkFormat, typeSize,
    pixelWidth, pixelHeight, ...; a 1-D texture has height 0)."""
    head = stream.read(28)
    if len(head) < 28 or not is_ktx2(head):
        raise ImageUnsupported(f"{label} is not a KTX 2 image")
    width, height = struct.unpack_from("<II", head, 20)
    if width == 0:
        raise ImageInvalid(f"{label} is a KTX 2 image of width 0")
    return CheckedImage("ktx2", width, max(height, 1))


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
        raise ImageTooLarge(
            f"{label} claims more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels"
        ) from None
    except Image.UnidentifiedImageError:
        raise ImageUnsupported(f"{label} is not a readable {_kinds(any_format)}") from None
    except Exception:  # Pillow's parsers raise many types on hostile bytes; all mean "bad"
        raise ImageInvalid(f"{label} is not a readable {_kinds(any_format)}") from None
    return CheckedImage(kind, width, height)


def _kinds(any_format: bool) -> str:
    return "image" if any_format else "PNG, JPEG or WebP image"

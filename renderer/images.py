"""Texture images: PNG/JPEG/WebP bytes → RGBA8 arrays, downscaled to what a frame shows.

The loader has held every texture's header to the model's limits
(:func:`exchange.textures.check_textures`, as the upload check does) before any pixel is
decoded; here Pillow's own decompression-bomb guard is the backstop. Images above
``MAX_TEXTURE_SIDE`` — the most any tier's frame can show (a 4K frame is 3840 px wide) —
are downscaled, keeping aspect, in their decoded mode before the RGBA copy is made: an
8192² PNG peaks at about 340 MB (Pillow holds RGB in 4 bytes a pixel) rather than 470.
Identical bytes are decoded once, however many ``images`` entries name them (a 200 KB GLB
with twelve entries pointing at one 8192² PNG cost 3.2 GB), and one image above
``MAX_TEXTURE_SIDE``² decodes at a time.
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
import weakref
from concurrent.futures import Future
from contextlib import nullcontext

import numpy as np
from PIL import Image as PILImage

from renderer import limits
from renderer.errors import InvalidModel, ModelTooLarge, UnsupportedModel

SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP")
RESIZABLE_MODES = ("L", "LA", "RGB", "RGBA")

_lock = threading.Lock()
_decoded: weakref.WeakValueDictionary[bytes, np.ndarray] = weakref.WeakValueDictionary()
_pending: dict[bytes, Future[np.ndarray]] = {}
_large = threading.Semaphore(1)


def decode_image(data: bytes, label: str) -> np.ndarray:
    """Decode one image to an H×W×4 uint8 array (top row first, read-only, maybe shared)."""
    key = hashlib.blake2b(data, digest_size=16).digest()
    with _lock:
        done = _decoded.get(key)
        if done is not None:
            return done
        waiting = _pending.get(key)
        if waiting is None:
            mine: Future[np.ndarray] = Future()
            _pending[key] = mine
    if waiting is not None:
        return waiting.result()  # the same bytes are being decoded by another thread
    try:
        pixels = _decode(data, label)
    except BaseException as exc:
        mine.set_exception(exc)
        raise
    finally:
        with _lock:
            _pending.pop(key, None)
    with _lock:
        _decoded[key] = pixels
    mine.set_result(pixels)
    return pixels


def _decode(data: bytes, label: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            img: PILImage.Image = PILImage.open(io.BytesIO(data), formats=None)
    except PILImage.DecompressionBombError:
        raise ModelTooLarge(f"{label} claims too many pixels") from None
    except (OSError, SyntaxError, PILImage.DecompressionBombWarning, ValueError):
        raise UnsupportedModel(f"{label} is not a PNG, JPEG or WebP image we can decode") from None
    if img.format not in SUPPORTED_FORMATS:
        raise UnsupportedModel(f"{label} is a {img.format} image; use PNG, JPEG or WebP")
    width, height = img.size
    side = limits.MAX_TEXTURE_SIDE
    try:
        with _large if width * height > side * side else nullcontext():
            if max(width, height) > side:
                img.draft("RGB", (side, side))  # JPEG: decode at a reduced scale
            img.load()
            if img.mode not in RESIZABLE_MODES:
                img = img.convert("RGBA")
            if max(img.size) >= 2 * side:
                img = img.reduce(max(img.size) // side)  # box filter; the original is freed
            if max(img.size) > side:
                img.thumbnail((side, side))
            rgba = img.convert("RGBA")
        return np.asarray(rgba, dtype=np.uint8)  # read-only: textures are never edited
    except (OSError, ValueError, SyntaxError):
        raise InvalidModel(f"{label} is corrupt and cannot be decoded") from None

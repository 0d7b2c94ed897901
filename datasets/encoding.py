"""Arrays → file bytes: PNG (Pillow), ``.npy`` (numpy) and the normal-map colour rule.

PNGs are compressed at zlib level 1: on two CPU cores level 6 costs about 2.5× the time
for ~25 % smaller files, and the ZIP stores PNGs as they are (deflating twice gains
nothing). Pillow releases the GIL while compressing, so these run in worker threads
beside the renderer.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

PNG_COMPRESS_LEVEL = 1

NORMAL_ENCODING = {
    "space": "world",
    "axes": "glTF scene axes: right-handed, +Y up, +Z front (the poses' frame)",
    "encode": "rgb = round((n * 0.5 + 0.5) * 255)",
    "decode": "n = rgb / 255 * 2 - 1",
    "background": [128, 128, 128],
    "note": "after normal mapping; double-sided back faces flipped to face the camera; "
    "the background is the zero vector (128, 128, 128): tell it apart with masks/ or depth",
}
"""How normals/ is written; copied into transforms.json as ``normal_encoding``."""


def png_bytes(pixels: np.ndarray) -> bytes:
    """H×W (L or 16-bit), H×W×3 (RGB) uint8/uint16 array → PNG file bytes."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as a ``.npy`` file (what ``np.load`` and nerfstudio read)."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def normals_to_rgb(normal: np.ndarray) -> np.ndarray:
    """H×W×3 float unit normals (0 = background) → H×W×3 uint8 by NORMAL_ENCODING."""
    return np.rint((normal * 0.5 + 0.5) * 255.0).clip(0, 255).astype(np.uint8)

"""Posters: the first frame as PNG, full size and small.

Posters are always opaque RGB laid over ``bgColor``, pro renders included: dx.gl applies
``bgColor`` to the poster of a pro render (only the ProRes file keeps the alpha), and a
poster is shown in places (players, listings) that would otherwise show a checkerboard.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from encoders.errors import EncodeError
from encoders.specs import POSTER_LONG_SIDE, EncodedFile


def write_png(rgb: np.ndarray, path: Path, long_side: int | None = None) -> EncodedFile:
    """Write an RGB PNG, optionally scaled down to ``long_side``, atomically."""
    image = Image.fromarray(np.ascontiguousarray(rgb[..., :3]), "RGB")
    if long_side is not None:
        # reducing_gap: a cheap box reduction first, then Lanczos — same look, much faster at 4K.
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    tmp = path.with_name(f".{path.name}.part")
    try:
        image.save(tmp, format="PNG")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise EncodeError(f"cannot write {path.name}: {exc}") from exc
    return EncodedFile(path, "image/png", path.stat().st_size, 1)


def write_posters(rgb: np.ndarray, out_dir: Path) -> dict[str, EncodedFile]:
    """``poster_full`` at the video's size and ``poster`` with its long side ≤ 480 px."""
    return {
        "poster_full": write_png(rgb, out_dir / "poster_full.png"),
        "poster": write_png(rgb, out_dir / "poster.png", POSTER_LONG_SIDE),
    }

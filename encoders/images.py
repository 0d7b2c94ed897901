"""Posters: the first frame as PNG, full size and small."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from encoders.specs import POSTER_LONG_SIDE, EncodedFile


def write_png(pixels: np.ndarray, path: Path, long_side: int | None = None) -> EncodedFile:
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")
    if long_side is not None:
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    tmp = path.with_name(f".{path.name}.part")
    image.save(tmp, format="PNG", compress_level=6)
    os.replace(tmp, path)
    return EncodedFile(path, "image/png", path.stat().st_size, 1)


def write_posters(pixels: np.ndarray, out_dir: Path) -> dict[str, EncodedFile]:
    return {
        "poster_full": write_png(pixels, out_dir / "poster_full.png"),
        "poster": write_png(pixels, out_dir / "poster.png", POSTER_LONG_SIDE),
    }

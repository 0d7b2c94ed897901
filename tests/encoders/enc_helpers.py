"""Synthetic frames and decoding helpers for the encoder tests (real encoding, no mocks).

A plain module with a name unique in the test session (``tests/*/`` share ``sys.path``)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

OBJECT_RGB = (250, 40, 20)
BACKGROUND_RGB = (30, 60, 90)


def square_box(i: int, w: int, h: int) -> tuple[slice, slice]:
    """Where the moving square is in frame ``i``: rows, columns."""
    side = min(w, h) // 4
    x = (w // 10 + 4 * i) % (w - side)
    return slice(h // 4, h // 4 + side), slice(x, x + side)


def hole_box(w: int, h: int) -> tuple[slice, slice]:
    """A fixed half-transparent patch (alpha 128) in the lower right corner."""
    return slice(3 * h // 4, 3 * h // 4 + h // 8), slice(3 * w // 4, 3 * w // 4 + w // 8)


def moving_square(
    n: int, w: int = 960, h: int = 540, *, transparent: bool = False, texture: bool = False
) -> Iterator[np.ndarray]:
    """A coloured square moving over a background; the background is fully transparent
    (alpha 0) when ``transparent``, else opaque; there is always a half-transparent patch.
    ``texture`` adds deterministic noise to the square so bitrate differences show."""
    noise = np.random.default_rng(7).integers(0, 60, (h, w, 1), dtype=np.uint8)
    for i in range(n):
        frame = np.empty((h, w, 4), np.uint8)
        frame[..., :3] = BACKGROUND_RGB
        frame[..., 3] = 0 if transparent else 255
        rows, cols = square_box(i, w, h)
        frame[rows, cols] = (*OBJECT_RGB, 255)
        if texture:
            frame[rows, cols, :3] -= noise[rows, cols]
        frame[hole_box(w, h)] = (200, 200, 40, 128)
        yield frame


@dataclass
class Decoded:
    codec: str
    width: int
    height: int
    pix_fmt: str
    rate: float
    duration_s: float
    colorspace: int
    frames: list[np.ndarray]


def decode(path: Path, fmt: str = "rgba", limit: int | None = None) -> Decoded:
    """Decode with PyAV (using the stream's colour tags), up to ``limit`` frames."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames: list[np.ndarray] = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format=fmt))
            if limit is not None and len(frames) == limit:
                break
        ctx = stream.codec_context
        return Decoded(
            ctx.name,
            ctx.width,
            ctx.height,
            ctx.pix_fmt or "",
            float(stream.average_rate or 0),
            float(container.duration or 0) / av.time_base,
            int(ctx.colorspace),
            frames,
        )


def top_level_boxes(path: Path) -> list[str]:
    """The ISO-BMFF top-level box types in file order (ftyp, moov, mdat, …)."""
    boxes = []
    with path.open("rb") as fh:
        while header := fh.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 0:  # box runs to the end of the file
                boxes.append(kind.decode("latin-1"))
                break
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0] - 8
            boxes.append(kind.decode("latin-1"))
            fh.seek(size - 8, 1)
    return boxes

"""Frame checks and alpha compositing done once per frame, before the fan-out.

Resizing is not here: each video encoder scales inside swscale (PyAV ``reformat``) while it
converts to YUV, which is one pass over the pixels instead of two and runs in its thread.
"""

from __future__ import annotations

import numpy as np

from encoders.errors import FrameError


def check_frame(frame: object, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """Every frame is H×W×4 (or ×3) uint8 with even sides, the same size as the first."""
    if (
        not isinstance(frame, np.ndarray)
        or frame.dtype != np.uint8
        or frame.ndim != 3
        or frame.shape[2] not in (3, 4)
    ):
        got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame)
        raise FrameError(f"frames must be H×W×4 uint8 arrays, got {got}")
    if shape is not None and frame.shape != shape:
        raise FrameError(f"frame size changed mid-stream: {frame.shape} after {shape}")
    height, width = frame.shape[:2]
    if width % 2 or height % 2 or width < 16 or height < 16:
        # 4:2:0 chroma needs even sides; rescaling by one pixel would blur every frame.
        raise FrameError(f"frame size {width}×{height} must be even and at least 16×16")
    return frame.shape


def is_opaque(frame: np.ndarray) -> bool:
    return frame.shape[2] == 3 or bool(frame[..., 3].min() == 255)


Background = tuple[int, int, int] | np.ndarray
"""An opaque colour, or an H×W×3 uint8 image the size of the frames (a background overlay)."""


def over_background(frame: np.ndarray, bg: Background) -> np.ndarray:
    """Straight-alpha RGBA over an opaque background, as RGB; opaque frames are returned as is.

    Integer arithmetic with the exact round(x / 255) trick: ≈2.5× faster than ``// 255``
    on a 4K frame and bit-identical, which matters for pro renders where every frame has
    alpha and this runs on the feeding thread.
    """
    if is_opaque(frame):
        return frame
    height, width = frame.shape[:2]
    image = isinstance(bg, np.ndarray)
    out = np.empty((height, width, 3), np.uint8)
    # One background row broadcast down the frame: filling from the 3-tuple directly is a
    # strided per-pixel loop, 60× slower (2.2 ms of a 960×540 frame's 3 ms).
    out[:] = bg if image else np.tile(np.asarray(bg, np.uint8), (width, 1))
    # Only the box around the covered pixels needs blending: around a product shot most of
    # the frame is bare background (alpha 0), which is the background colour exactly.
    covered = frame[..., 3]
    rows = np.flatnonzero(covered.any(axis=1))
    if rows.size == 0:
        return out
    cols = np.flatnonzero(covered.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    out[box] = _blend(frame[box], bg[box] if isinstance(bg, np.ndarray) else bg)
    return out


def _blend(frame: np.ndarray, bg: Background) -> np.ndarray:
    alpha = frame[..., 3:4].astype(np.uint16)
    mixed = frame[..., :3] * alpha  # uint8 × uint16 → uint16, ≤ 255² fits
    mixed += np.asarray(bg, np.uint16) * (255 - alpha)
    mixed += 128
    mixed += mixed >> 8
    mixed >>= 8
    return mixed.astype(np.uint8)

"""Frame operations done on the CPU between the renderer and the encoders."""

from __future__ import annotations

import numpy as np

from encoders.errors import EncodeError


def check_frame(frame: np.ndarray, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """Every frame must be H×W×4 (or ×3) uint8 and the same size as the first one."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise EncodeError(f"frames must be H×W×3/4 uint8 arrays, got {frame.dtype} {frame.shape}")
    if shape is not None and frame.shape != shape:
        raise EncodeError(f"frame size changed mid-stream: {frame.shape} after {shape}")
    return frame.shape


def over_background(frame: np.ndarray, bg: tuple[int, int, int]) -> np.ndarray:
    """Straight-alpha RGBA over an opaque colour → RGB (the renderer's own compositing rule)."""
    if frame.shape[2] == 3:
        return frame
    alpha = frame[..., 3:4].astype(np.uint16)
    if int(alpha.min()) == 255:
        return np.ascontiguousarray(frame[..., :3])
    rgb = frame[..., :3].astype(np.uint16)
    background = np.asarray(bg, dtype=np.uint16)
    out = (rgb * alpha + background * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)

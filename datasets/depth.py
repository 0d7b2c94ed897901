"""Depth as people read it: 8/16-bit PNG values between a tight near and far plane.

dx.gl documents one decoding for the whole dataset,
``depth = v / 255 * (depth_far - depth_near) + depth_near`` (65535 for 16 bit), with
0 meaning "no surface". So near/far are fitted once, over every view, to the object's
visible depth span, and chosen so that the closest surface encodes to exactly 1 in 8
bit: every foreground pixel is then ≥ 1 in both files and 0 stays free for background.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DepthRange:
    """The ``depth_near``/``depth_far`` written to transforms.json (scene units)."""

    near: float
    far: float

    @classmethod
    def fit(cls, closest: float, farthest: float) -> DepthRange:
        """Planes for surfaces between ``closest`` and ``farthest`` (z-depth).

        ``far`` is the farthest surface; ``near`` sits one 8-bit step (of 255) below the
        closest, so the closest encodes to 1 and the farthest to 255 / 65535.
        """
        if not (np.isfinite(closest) and np.isfinite(farthest)) or farthest < closest:
            raise ValueError("no foreground depth to fit near/far planes to")
        span = max(farthest - closest, 1e-6 * max(abs(farthest), 1.0))
        full = span * 255.0 / 254.0
        return cls(near=farthest - full, far=farthest)

    def encode(self, depth: np.ndarray, bits: int) -> np.ndarray:
        """z-depth (0 = background) → uint8 (``bits`` 8) or uint16 (16) image values."""
        top = (1 << bits) - 1
        scaled = np.rint((depth - self.near) / (self.far - self.near) * top)
        values = np.where(depth > 0, np.clip(scaled, 1, top), 0)
        return values.astype(np.uint8 if bits == 8 else np.uint16)

    def decode(self, values: np.ndarray, bits: int) -> np.ndarray:
        """Image values → z-depth with 0 kept for background (the documented formula)."""
        top = (1 << bits) - 1
        depth = values.astype(np.float64) / top * (self.far - self.near) + self.near
        return np.where(values > 0, depth, 0.0)


@dataclass
class DepthSpan:
    """Running min/max of foreground z-depth over the views rendered so far."""

    closest: float = float("inf")
    farthest: float = float("-inf")

    def add(self, depth: np.ndarray) -> None:
        fg = depth[depth > 0]
        if fg.size:
            self.closest = min(self.closest, float(fg.min()))
            self.farthest = max(self.farthest, float(fg.max()))

    def range(self) -> DepthRange:
        return DepthRange.fit(self.closest, self.farthest)

"""The renderer's own limits: what a frame can show and what GL can hold.

What a *model* may cost (file and ZIP sizes, triangles, vertices, nodes, joints, morph
targets, texture sizes) is :class:`exchange.AssetLimits`, shared with the upload check
and handed to :func:`renderer.load_scene`.
"""

from __future__ import annotations

MAX_TEXTURE_SIDE = 4096
"""Images larger than this on either side are downscaled before upload (a 4K frame is
3840 px wide: no tier shows more)."""

MAX_OUTPUT_SIDE = 8192
"""Largest output width/height; the 2× SSAA buffer is then 16384, GL's usual maximum."""

"""Which renders can share frames: same model and same picture, different packaging.

Renders of one model whose frames are identical — same effect and path parameters,
length, animation, aspect, pixel size and vignette — differ only in tier/codec (4k vs pro)
or background colour, which the encoders apply per render over transparent frames.
"""

from __future__ import annotations

import json
from typing import Any

PIXEL_SIZE = {"share": "540p", "standard": "1080p", "4k": "2160p", "pro": "2160p"}
MAX_GROUP = 8


def frame_key(settings: dict[str, Any]) -> str | None:
    """Equal keys ⇒ equal frames; None for renders that never share (datasets, and
    renders whose background is the environment: it is drawn into the opaque frame, so
    there is no transparent frame to lay a colour under)."""
    if settings.get("output") == "dataset" or settings.get("background") == "environment":
        return None
    picture = {k: v for k, v in settings.items() if k not in ("quality", "bgColor")}
    if settings.get("vignette"):
        picture["bgColor"] = settings.get("bgColor")  # the vignette darkens the background too
    picture["pixels"] = PIXEL_SIZE.get(str(settings.get("quality", "share")), "?")
    return json.dumps(picture, sort_keys=True)

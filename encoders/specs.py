"""What each output file is: codec, pixel format, size rules and rate control per tier.

Sizes come from the frames (any aspect), not from the tier: the tier only picks the codec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FPS = 30
WEB_LONG_SIDE = 1280
POSTER_LONG_SIDE = 480


@dataclass(frozen=True)
class VideoSpec:
    name: str
    filename: str
    codec: str
    pix_fmt: str
    width: int
    height: int
    content_type: str
    options: dict[str, str] = field(default_factory=dict)
    composite: bool = True
    """Lay the frames over the background colour first (every output but ProRes 4444)."""


@dataclass(frozen=True)
class EncodedFile:
    path: Path
    content_type: str
    size: int
    frames: int


def even(value: float) -> int:
    """H.264 with 4:2:0 chroma needs even dimensions."""
    return max(2, int(value) // 2 * 2)


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(width, height))
    return even(width * scale), even(height * scale)


def h264(name: str, filename: str, width: int, height: int, crf: int, **extra: str) -> VideoSpec:
    options = {"crf": str(crf), "preset": "veryfast", "profile": "high", **extra}
    return VideoSpec(name, filename, "libx264", "yuv420p", width, height, "video/mp4", options)


def video_specs(quality: str, width: int, height: int) -> list[VideoSpec]:
    """Main video, web variant and quarter-resolution thumbnail for frames of this size."""
    if quality == "pro":
        main = VideoSpec(
            "video",
            "video.mov",
            "prores_ks",
            "yuva444p10le",
            width,
            height,
            "video/quicktime",
            {"profile": "4", "vendor": "apl0", "alpha_bits": "16"},
            composite=False,
        )
    else:
        main = h264("video", "video.mp4", even(width), even(height), crf=20)
    web_w, web_h = fit_long_side(width, height, WEB_LONG_SIDE)
    web = h264("web", "web.mp4", web_w, web_h, crf=26, maxrate="2500k", bufsize="5000k")
    thumb = h264("thumb", "thumb.mp4", even(width / 2), even(height / 2), crf=28)
    return [main, web, thumb]

"""What each output file is: codec, pixel format, size and rate control.

Sizes come from the frames (16:9, 9:16, 1:1 at any size); the caller only picks the
codec of the main video. Every other output is derived from the frame size by the rules
below, so an aspect the renderer adds later needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

FPS = 30
WEB_LONG_SIDE = 1280
POSTER_LONG_SIDE = 480
MainCodec = Literal["h264", "prores4444"]
MAIN_CODECS: tuple[MainCodec, ...] = ("h264", "prores4444")
"""The main video: H.264 in an MP4, or ProRes 4444 in a MOV that keeps the alpha channel."""

MAIN_CRF = 20
WEB_CRF = 28
THUMB_CRF = 28
WEB_MAXRATE = "2500k"
"""Caps the web variant's peaks so it streams on an ordinary connection (CRF alone does
not bound the bitrate of a busy frame); 2.5 Mbit/s is a common 720p streaming rung."""
KEYINT = 2 * FPS
"""A keyframe every 2 s in web and thumb: browsers seek and scrub by keyframes."""
ONE_THREAD_MAX_PIXELS = 1280 * 720
"""Up to this size one x264 thread encodes veryfast at well over 100 frames/s, far ahead of
any renderer feeding it, and x264's frame threads would only add overhead: ≈35 % more CPU
per frame at 960×540 measured here, CPU the renderer and a batch's other encoders need."""


@dataclass(frozen=True)
class VideoSpec:
    """One video output of a render."""

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
    """A finished output: what the pipeline uploads and records (``fileSize``)."""

    path: Path
    content_type: str
    size: int
    frames: int


def even(value: float) -> int:
    """H.264 with 4:2:0 chroma needs even dimensions (rounded down, at least 2)."""
    return max(2, int(value) // 2 * 2)


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Scale down (never up) so the longer side is at most ``long_side``; even sides."""
    scale = min(1.0, long_side / max(width, height))
    return even(round(width * scale)), even(round(height * scale))


def h264(name: str, filename: str, width: int, height: int, crf: int, **extra: str) -> VideoSpec:
    """libx264 settings; ``video.open_video`` maps them to h264_nvenc where it works."""
    options = {"crf": str(crf), "preset": "veryfast", "profile": "high", **extra}
    if width * height <= ONE_THREAD_MAX_PIXELS:
        options.setdefault("threads", "1")
    return VideoSpec(name, filename, "libx264", "yuv420p", width, height, "video/mp4", options)


def prores_4444(width: int, height: int) -> VideoSpec:
    """ProRes 4444 with a 16-bit alpha plane (prores_ks profile 4 = 4444)."""
    return VideoSpec(
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


def video_specs(main_codec: MainCodec, width: int, height: int) -> list[VideoSpec]:
    """Main video, web variant and quarter-resolution thumbnail for frames of this size."""
    if main_codec not in MAIN_CODECS:
        raise ValueError(f"unknown main codec {main_codec!r}; expected one of {MAIN_CODECS}")
    if main_codec == "prores4444":
        main = prores_4444(width, height)
    else:
        main = h264("video", "video.mp4", width, height, MAIN_CRF)
    web_w, web_h = fit_long_side(width, height, WEB_LONG_SIDE)
    gop = {"g": str(KEYINT)}
    # veryfast like the main video: superfast saves ≈2 ms a frame at 960×540 but turns off
    # x264's macroblock tree, which doubles the size at the same CRF — the web variant
    # would hardly be lighter than the main video (502 kB against 666 kB on 90 frames of
    # the DamagedHelmet, 247 kB with veryfast). One x264 thread each, whatever their size:
    # they run beside the main encoder and the renderer, so threading only adds overhead.
    light = {**gop, "threads": "1"}
    web = h264(
        "web", "web.mp4", web_w, web_h, WEB_CRF, maxrate=WEB_MAXRATE, bufsize="5000k", **light
    )
    # "Quarter resolution" = a quarter of the pixels: half the width and half the height.
    thumb = h264("thumb", "thumb.mp4", even(width / 2), even(height / 2), THUMB_CRF, **light)
    return [main, web, thumb]

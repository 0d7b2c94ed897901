"""Streaming video encoding with PyAV: frames go in one by one, nothing accumulates."""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np

from encoders.errors import EncodeError
from encoders.specs import FPS, EncodedFile, VideoSpec


@cache
def nvenc_available() -> bool:
    """True when an NVIDIA encoder actually opens here (the codec is always compiled in)."""
    try:
        codec = av.CodecContext.create("h264_nvenc", "w")
        codec.width, codec.height, codec.pix_fmt = 256, 256, "yuv420p"
        codec.time_base = Fraction(1, FPS)
        codec.open()
        return True
    except Exception:
        return False


class VideoWriter:
    """One output file; written under a temporary name and renamed on success."""

    def __init__(self, spec: VideoSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        self.frames = 0
        codec, options = spec.codec, dict(spec.options)
        if codec == "libx264" and nvenc_available():
            codec = "h264_nvenc"
            options = {"preset": "p4", "cq": options.get("crf", "23"), "rc": "vbr"}
        container_options = {"movflags": "+faststart"} if path.suffix == ".mp4" else {}
        try:
            fmt = "mov" if path.suffix == ".mov" else "mp4"
            self.container: Any = av.open(str(self.tmp), "w", format=fmt, options=container_options)
            stream = self.container.add_stream(codec, rate=FPS, options=options)
            assert isinstance(stream, av.VideoStream)
            stream.width, stream.height = spec.width, spec.height
            stream.pix_fmt = spec.pix_fmt
            stream.time_base = Fraction(1, FPS)
            self.stream = stream
        except Exception as exc:
            self.abort()
            raise EncodeError(f"cannot start the {spec.name} encoder ({codec}): {exc}") from exc

    def write(self, pixels: np.ndarray) -> None:
        fmt = "rgba" if pixels.shape[2] == 4 else "rgb24"
        frame = av.VideoFrame.from_ndarray(pixels, format=fmt)
        frame = frame.reformat(
            width=self.spec.width,
            height=self.spec.height,
            format=self.spec.pix_fmt,
            interpolation="AREA",
        )
        frame.pts = self.frames
        frame.time_base = Fraction(1, FPS)
        self.container.mux(self.stream.encode(frame))
        self.frames += 1

    def close(self) -> EncodedFile:
        self.container.mux(self.stream.encode(None))
        self.container.close()
        os.replace(self.tmp, self.path)
        return EncodedFile(self.path, self.spec.content_type, self.path.stat().st_size, self.frames)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        self.tmp.unlink(missing_ok=True)

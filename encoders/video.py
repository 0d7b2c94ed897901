"""Streaming video encoding with PyAV: frames go in one by one, nothing accumulates.

Colour: frames are sRGB; they are converted to YUV with the BT.709 matrix in limited
("tv") range and the streams are tagged so. Untagged H.264 is read as BT.601 by some
decoders and BT.709 by browsers for HD, which shifts saturated colours; a tagged stream
decodes the same everywhere (PyAV, ffmpeg, browsers, Resolve).
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import av
import numpy as np

from encoders.errors import EncoderFailed, EncoderUnavailable
from encoders.specs import FPS, EncodedFile, VideoSpec

H264Choice = Literal["auto", "libx264", "h264_nvenc"]
"""``auto`` (h264_nvenc where it opens, else libx264), or one of the two forced."""
BT709 = 1  # AVCOL_SPC / AVCOL_PRI / AVCOL_TRC_BT709
TV_RANGE = 1  # AVCOL_RANGE_MPEG


@cache
def nvenc_available() -> bool:
    """True when h264_nvenc really encodes here, not merely when it is compiled in.

    PyAV's wheels always ship h264_nvenc; opening it fails without an NVIDIA driver or on
    GPUs without NVENC (A100, H100). One tiny frame is encoded to be sure, once per process.
    """
    try:
        ctx = av.CodecContext.create("h264_nvenc", "w")
        assert isinstance(ctx, av.VideoCodecContext)
        ctx.width, ctx.height, ctx.pix_fmt = 256, 256, "yuv420p"
        ctx.time_base = Fraction(1, FPS)
        ctx.open()
        frame = av.VideoFrame(256, 256, "yuv420p")
        frame.pts = 0
        ctx.encode(frame)
        ctx.encode(None)
        return True
    except Exception:
        return False


def h264_encoder(choice: H264Choice = "auto") -> str:
    """The H.264 encoder that ``choice`` means on this machine."""
    if choice == "auto":
        return "h264_nvenc" if nvenc_available() else "libx264"
    if choice not in get_args(H264Choice):
        raise EncoderUnavailable(f"H.264 encoder {choice!r}: use {', '.join(get_args(H264Choice))}")
    return choice


def nvenc_options(x264: dict[str, str]) -> dict[str, str]:
    """The libx264 intent in NVENC terms: constant quality ``cq`` ≈ ``crf``, caps kept."""
    options = {"preset": "p5", "tune": "hq", "rc": "vbr", "cq": x264["crf"], "b": "0"}
    options.update({k: v for k, v in x264.items() if k in ("profile", "g", "maxrate", "bufsize")})
    return options


def converted(pixels: np.ndarray, width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    """An RGB(A) frame in an output's pixel format and size: one swscale pass, BT.709
    limited range."""
    frame = av.VideoFrame.from_ndarray(pixels, format="rgba" if pixels.shape[2] == 4 else "rgb24")
    return frame.reformat(
        width=width,
        height=height,
        format=pix_fmt,
        dst_colorspace="ITU709",
        dst_color_range="MPEG",
        interpolation="AREA",
    )


def downscaled(frame: av.VideoFrame, width: int, height: int) -> av.VideoFrame:
    """A smaller copy of a YUV frame, in the same format and colour range: about a third
    of the cost of converting the RGB frame again (a quarter of the bytes, no matrix)."""
    return frame.reformat(width=width, height=height, interpolation="AREA")


class VideoWriter:
    """One output file, written under a hidden temporary name and renamed on success.

    ``h264`` picks the encoder of H.264 outputs (:func:`h264_encoder`)."""

    def __init__(self, spec: VideoSpec, path: Path, h264: H264Choice = "auto") -> None:
        self.spec = spec
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        self.frames = 0
        self.container: Any = None
        codecs = [spec.codec]
        if spec.codec == "libx264":
            chosen = h264_encoder(h264)
            # NVENC can refuse one more session (consumer GPUs cap them): fall back per file.
            may_fall_back = h264 == "auto" and chosen == "h264_nvenc"
            codecs = [chosen, "libx264"] if may_fall_back else [chosen]
        for attempt, codec in enumerate(codecs, 1):
            try:
                self._open(codec)
                break
            except Exception as exc:
                self.abort()
                if attempt == len(codecs):
                    raise EncoderUnavailable(
                        f"cannot start the {spec.name} encoder ({codec}): {exc}"
                    ) from exc
        self.codec = codec

    def _open(self, codec: str) -> None:
        """Open the container under the temporary name and the codec, ready for frames."""
        options = dict(self.spec.options)
        if codec == "h264_nvenc":
            options = nvenc_options(options)
        fmt = "mov" if self.path.suffix == ".mov" else "mp4"
        # moov before mdat: browsers start playing before the whole file has arrived.
        container_options = {"movflags": "+faststart"} if fmt == "mp4" else {}
        self.container = av.open(str(self.tmp), "w", format=fmt, options=container_options)
        stream = self.container.add_stream(codec, rate=FPS, options=options)
        stream.width, stream.height = self.spec.width, self.spec.height
        stream.pix_fmt = self.spec.pix_fmt
        stream.time_base = Fraction(1, FPS)
        ctx = stream.codec_context
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = BT709
        ctx.color_range = TV_RANGE
        self.stream = stream
        self.container.start_encoding()  # opens the codec now, not at the first frame

    def write(self, pixels: np.ndarray) -> None:
        """Convert (and scale, in the same swscale pass) one RGB(A) frame and encode it."""
        try:
            frame = converted(pixels, self.spec.width, self.spec.height, self.spec.pix_fmt)
            frame.pts = self.frames
            frame.time_base = Fraction(1, FPS)
        except Exception as exc:
            raise EncoderFailed(self.spec.name, f"frame {self.frames}: {exc}") from exc
        self.write_frame(frame)

    def write_frame(self, frame: av.VideoFrame) -> None:
        """Encode a frame already in this output's size and pixel format, its pts and
        time base (1/FPS) set.

        The frame is only read, so several outputs may encode the same one at once
        (:mod:`encoders.fanout` converts once for all outputs that share a format)."""
        try:
            self.container.mux(self.stream.encode(frame))
        except Exception as exc:
            raise EncoderFailed(self.spec.name, f"frame {self.frames}: {exc}") from exc
        self.frames += 1

    def close(self) -> EncodedFile:
        """Flush the encoder, write the index (moov) and publish under the final name."""
        try:
            self.container.mux(self.stream.encode(None))
            self.container.close()
        except Exception as exc:
            raise EncoderFailed(self.spec.name, f"finishing the file: {exc}") from exc
        os.replace(self.tmp, self.path)
        return EncodedFile(self.path, self.spec.content_type, self.path.stat().st_size, self.frames)

    def abort(self) -> None:
        """Drop the file; safe to call at any point, more than once."""
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.container.close()
        self.tmp.unlink(missing_ok=True)

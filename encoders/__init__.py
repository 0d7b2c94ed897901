"""Frames → files: H.264 MP4, ProRes 4444 MOV with alpha, PNG posters; streamed, no GL.

A pure library: numpy frames in, files in a directory out. It knows nothing of jobs,
HTTP or storage; ``workers`` uploads what it returns.
"""

from encoders.errors import EncodeError, EncoderFailed, EncoderUnavailable, FrameError
from encoders.fanout import encode_render
from encoders.specs import MAIN_CODECS, EncodedFile, MainCodec, VideoSpec, video_specs
from encoders.video import H264Choice, h264_encoder, nvenc_available

__all__ = [
    "MAIN_CODECS",
    "EncodeError",
    "EncodedFile",
    "EncoderFailed",
    "EncoderUnavailable",
    "FrameError",
    "H264Choice",
    "MainCodec",
    "VideoSpec",
    "encode_render",
    "h264_encoder",
    "nvenc_available",
    "video_specs",
]

"""Frames → files: H.264 MP4, ProRes 4444 MOV with alpha, PNG posters; streamed, no GL."""

from encoders.errors import EncodeError
from encoders.fanout import encode_render
from encoders.specs import EncodedFile, VideoSpec, video_specs

__all__ = ["EncodeError", "EncodedFile", "VideoSpec", "encode_render", "video_specs"]

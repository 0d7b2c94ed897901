"""Encoding failures, reported to the user as the render's ``errorMessage``.

One tree so that callers catch a single type (``EncodeError``) while tests and logs can
still tell bad input from a codec that cannot start or one that broke mid-stream.
"""


class EncodeError(Exception):
    """A video or image could not be written; no file is left under its final name."""


class FrameError(EncodeError):
    """A frame is not what the encoders accept (dtype, shape, odd size, size change)."""


class EncoderUnavailable(EncodeError):
    """The codec or container could not be opened (missing encoder, no NVENC device)."""


class EncoderFailed(EncodeError):
    """An encoder broke while frames were flowing; ``output`` names which one."""

    def __init__(self, output: str, message: str) -> None:
        super().__init__(f"{output} encoding failed: {message}")
        self.output = output

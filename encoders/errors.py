"""Encoding failures, reported to the user as the render's ``errorMessage``."""


class EncodeError(Exception):
    """A video or image could not be written; no partial file is left under its final name."""

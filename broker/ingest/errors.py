"""Why an upload is refused; the messages are for the client (no server paths)."""

from __future__ import annotations


class ModelInvalid(ValueError):
    """The file is not a usable model; the message says why."""


class ZipTooLarge(ModelInvalid):
    """The archive expands past the configured limit (a ZIP bomb, or just too big)."""

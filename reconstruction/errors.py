"""The one refusal of the reconstruction library: its message is meant for the user."""

from __future__ import annotations


class ReconstructionFailed(ValueError):
    """The pictures cannot be turned into a model (too few, no plain background, ...)."""

"""The seekable ranged-file reader lives in :mod:`exchange.ranged_file` (the asset reader
opens an image inside a GLB with it); the stored-model readers import it from here."""

from __future__ import annotations

from exchange.ranged_file import RangedFile

__all__ = ["RangedFile"]

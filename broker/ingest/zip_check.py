"""ZIP uploads are read by :mod:`exchange.safe_zip`, under the rules the renderer applies
too; the upload service and the OBJ conversion import its names from here."""

from __future__ import annotations

from exchange.errors import ZipTooLarge
from exchange.safe_zip import ZipModel

__all__ = ["ZipModel", "ZipTooLarge"]

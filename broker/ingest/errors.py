"""Why an upload is refused; the messages are for the client (no server paths).

The upload check's refusals and the asset reader's are one kind: :class:`ModelInvalid` is
:class:`exchange.AssetInvalid` (``invalid_format``), and :class:`ZipTooLarge` the
reader's own (``file_too_large``).
"""

from __future__ import annotations

from exchange.errors import AssetInvalid as ModelInvalid
from exchange.errors import ZipTooLarge

__all__ = ["ModelInvalid", "ZipTooLarge"]

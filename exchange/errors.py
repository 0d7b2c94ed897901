"""Why a 3D file is refused: one exception tree for whoever reads assets.

The messages are for the person who sent the file (they name the rule and the limit,
never a server path). The upload check shows them as they are; the renderer wraps them in
its own :class:`~renderer.errors.SceneError` classes by kind.

    AssetInvalid        the file is broken or breaks a rule of the reader
    ├── AssetUnsupported  a valid file that uses something meshfarm does not read
    └── AssetTooLarge     over one of :class:`~exchange.limits.AssetLimits`
        └── ZipTooLarge     a ZIP that expands past its limit (a ZIP bomb, or just big)
"""

from __future__ import annotations


class AssetInvalid(ValueError):
    """The file is not a usable asset; the message says why."""


class AssetUnsupported(AssetInvalid):
    """The file is valid but needs a feature the reader does not provide."""


class AssetTooLarge(AssetInvalid):
    """The file declares more than a limit allows."""


class ZipTooLarge(AssetTooLarge):
    """The archive expands past ``max_unzipped_bytes``."""

"""What the renderer can draw, for checks made before a job exists (the upload check).

The broker reaches the renderer only through ``workers`` (the layers contract in
pyproject.toml); this module is that route for the renderer's glTF extension support,
so a file that *requires* an extension meshfarm cannot draw is refused at upload, with
the extension's name, instead of failing at its first render.
"""

from __future__ import annotations

from typing import Any

from renderer.extensions import SUPPORTED_EXTENSIONS

__all__ = ["SUPPORTED_EXTENSIONS", "undrawable_required_extensions"]


def undrawable_required_extensions(document: dict[str, Any]) -> list[str]:
    """The glTF document's ``extensionsRequired`` that the renderer cannot draw, sorted."""
    required = document.get("extensionsRequired", [])
    if not isinstance(required, list):
        return []
    return sorted({e for e in required if isinstance(e, str)} - SUPPORTED_EXTENSIONS)

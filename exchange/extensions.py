"""glTF extensions: the document's lists of them, and one object's ``extensions`` field.

An ``extensions`` field is an object wherever it stands, and the value of an extension the
reader's callers read is an object too; a file breaking either was accepted at upload and
crashed the loader. A file that *requires* an extension outside ``supported`` (what the
renderer draws, which the caller passes: this package does not know the renderer) is
refused naming it, at upload as at render.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.json_fields import member


def extensions(obj: dict[str, Any], what: str) -> dict[str, Any]:
    """``obj``'s ``extensions`` (``{}`` when absent)."""
    return member(obj, "extensions", what)


def extension(obj: dict[str, Any], name: str, what: str) -> dict[str, Any] | None:
    """The value of extension ``name`` on ``obj`` (None when ``obj`` does not use it)."""
    found = extensions(obj, what)
    if name not in found:
        return None
    return member(found, name, f"{what}.extensions")


def check_extension_lists(doc: dict[str, Any], supported: frozenset[str]) -> None:
    for key in ("extensionsUsed", "extensionsRequired"):
        names = doc.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise AssetInvalid(f"{key} must be an array of extension names")
    extensions(doc, "the document")
    undrawable = sorted(set(doc.get("extensionsRequired", [])) - supported)
    if undrawable:
        raise AssetUnsupported(
            f"the model requires {', '.join(undrawable)}, which meshfarm cannot render"
        )

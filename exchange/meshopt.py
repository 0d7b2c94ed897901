"""bufferViews compressed with EXT_meshopt_compression (or KHR_meshopt_compression), as
declared: what the renderer's decoder is handed must make sense before it runs.

The compressed bytes lie inside a buffer that holds data; they decode to ``count`` ×
``byteStride`` bytes, at most :data:`MAX_DECODED_VIEW_BYTES` (a decompression bomb is
refused unread) and at least the view's ``byteLength``; the mode and filter are ones the
decoder knows. A view that is not compressed does not lie in a fallback buffer (that holds
no data). Whether the bytes really decode is known only when the renderer decodes them.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.extensions import extension
from exchange.gltf import MESHOPT_EXTENSIONS, GltfContainer
from exchange.json_fields import index, integer, objects

MODES = ("ATTRIBUTES", "TRIANGLES", "INDICES")
FILTERS = ("NONE", "OCTAHEDRAL", "QUATERNION", "EXPONENTIAL", "COLOR")
MAX_DECODED_VIEW_BYTES = 1 << 30


def compression(view: dict[str, Any], what: str) -> dict[str, Any] | None:
    """The view's meshopt extension (None: the view is stored as it is)."""
    for name in MESHOPT_EXTENSIONS:
        ext = extension(view, name, what)
        if ext is not None:
            return ext
    return None


def check_compressed_views(container: GltfContainer) -> None:
    buffers, doc = container.buffers, container.document
    for i, view in enumerate(objects(doc, "bufferViews")):
        what = f"bufferViews[{i}]"
        ext = compression(view, what)
        if ext is None:
            if buffers[view["buffer"]] is None:
                raise AssetInvalid(f"{what} is not compressed but lies in a fallback buffer")
            continue
        at = f"{what}'s meshopt compression"
        buf = index(ext.get("buffer"), buffers, f"{at}: buffer")
        offset = integer(ext.get("byteOffset", 0), f"{at}: byteOffset")
        length = integer(ext.get("byteLength"), f"{at}: byteLength", 1)
        if buffers[buf] is None or offset + length > doc["buffers"][buf]["byteLength"]:
            raise AssetInvalid(f"{what}'s compressed data runs past the data of buffer {buf}")
        count = integer(ext.get("count"), f"{at}: count", 1)
        stride = integer(ext.get("byteStride"), f"{at}: byteStride", 1)
        if count * stride > MAX_DECODED_VIEW_BYTES:
            raise AssetTooLarge(
                f"{what} decompresses to {count * stride:,} bytes; the limit is "
                f"{MAX_DECODED_VIEW_BYTES:,}"
            )
        if count * stride < view["byteLength"]:
            raise AssetInvalid(f"{what} decompresses to fewer bytes than its byteLength")
        mode, filt = ext.get("mode"), ext.get("filter", "NONE")
        if mode not in MODES or filt not in FILTERS:
            raise AssetInvalid(f"{what} has meshopt mode {mode!r} and filter {filt!r}")

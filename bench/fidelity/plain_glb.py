"""A copy of a meshopt-compressed .glb with its buffer views stored plainly.

Blender's glTF importer refuses ``EXT_meshopt_compression``; every other peer reads it.
The reference renders this copy instead: same JSON, same accessors, the views decoded by
meshoptimizer's own decoder (the ``meshopt`` binding the renderer uses) into one plain
binary chunk, the extension and its fallback buffers dropped.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

MESHOPT = ("EXT_meshopt_compression", "KHR_meshopt_compression")


def _chunks(data: bytes) -> tuple[dict[str, Any], bytes]:
    magic, _, _ = struct.unpack_from("<III", data, 0)
    if magic != 0x46546C67:
        raise ValueError("not a GLB file")
    length, _ = struct.unpack_from("<II", data, 12)
    doc = json.loads(data[20 : 20 + length])
    rest = 20 + length
    binary = b""
    if rest + 8 <= len(data):
        blen, _ = struct.unpack_from("<II", data, rest)
        binary = data[rest + 8 : rest + 8 + blen]
    return doc, binary


def _pad(b: bytes, fill: bytes = b"\0") -> bytes:
    return b + fill * (-len(b) % 4)


def plain_copy(source: Path, dest: Path) -> Path:
    """Write ``dest``: ``source`` with every meshopt view decoded (returns ``dest``)."""
    import meshopt

    doc, binary = _chunks(source.read_bytes())
    if any(b.get("uri") for b in doc.get("buffers", [])):
        raise ValueError("only self-contained GLBs are handled")
    out = bytearray()
    views = []
    for view in doc.get("bufferViews", []):
        ext = next(
            (view["extensions"][n] for n in MESHOPT if n in view.get("extensions", {})), None
        )
        if ext is None:
            start = view.get("byteOffset", 0)
            data = binary[start : start + view["byteLength"]]
        else:
            start = ext.get("byteOffset", 0)
            raw = binary[start : start + ext["byteLength"]]
            data = meshopt.decode_gltf_buffer(
                raw, ext["count"], ext["byteStride"], ext["mode"], ext.get("filter", "NONE")
            ).tobytes()
        plain = {k: v for k, v in view.items() if k != "extensions"}
        plain.update(buffer=0, byteOffset=len(out), byteLength=len(data))
        views.append(plain)
        out += _pad(data)
    doc["bufferViews"] = views
    doc["buffers"] = [{"byteLength": len(out)}]
    for key in ("extensionsUsed", "extensionsRequired"):
        if key in doc:
            doc[key] = [e for e in doc[key] if e not in MESHOPT]
            if not doc[key]:
                del doc[key]
    body = _pad(json.dumps(doc, separators=(",", ":")).encode(), b" ")
    blob = bytes(out)
    total = 12 + 8 + len(body) + 8 + len(blob)
    glb = struct.pack("<III", 0x46546C67, 2, total)
    glb += struct.pack("<II", len(body), 0x4E4F534A) + body
    glb += struct.pack("<II", len(blob), 0x004E4942) + blob
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(glb)
    return dest

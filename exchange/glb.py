"""GLB framing: the 12-byte header, then chunks, the first of them JSON.

The rules are the stricter of what the upload check and the renderer each used to apply:
the header's length is the file's size exactly (no trailing bytes), every chunk lies inside
the file and is a whole number of 4-byte words (the spec pads chunks so the next one starts
aligned; a reader that skips to alignment and one that does not would otherwise read
different files), the first chunk is JSON within ``max_json_bytes``. Unknown chunk types
are skipped, as the spec asks; the first BIN chunk is buffer 0's data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from exchange.json_doc import parse_json
from exchange.limits import AssetLimits

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942


@dataclass(frozen=True)
class Glb:
    """The parsed JSON chunk and where the BIN chunk's bytes lie in the file."""

    document: dict[str, Any]
    json_bytes: int
    bin_offset: int | None
    bin_length: int


def is_glb(head: bytes) -> bool:
    return head[:4] == GLB_MAGIC


def read_glb(fh: BinaryIO, size: int, limits: AssetLimits) -> Glb:
    """Read the GLB of ``size`` bytes in ``fh`` (at its start); only the JSON is loaded."""
    doc, json_len = read_glb_json(fh, size, limits)
    bin_offset, bin_len = None, 0
    pos = 20 + json_len
    while pos < size:
        chunk_len, chunk_type = _chunk_header(fh, pos, size)
        if chunk_type == CHUNK_BIN and bin_offset is None:
            bin_offset, bin_len = pos + 8, chunk_len
        fh.seek(chunk_len, 1)
        pos += 8 + chunk_len
    return Glb(doc, json_len, bin_offset, bin_len)


def read_glb_json(fh: IO[bytes], size: int, limits: AssetLimits) -> tuple[dict[str, Any], int]:
    """The header and the JSON chunk only (the document and the chunk's length): what a
    reader that needs no buffer reads, from a stream it cannot seek cheaply (a member of a
    ZIP) too."""
    header = fh.read(12)
    if len(header) < 12 or not is_glb(header):
        raise AssetInvalid("not a GLB file (bad magic bytes)")
    version, length = struct.unpack("<II", header[4:])
    if version != 2:
        raise AssetUnsupported(f"unsupported GLB version {version} (need 2)")
    if length != size:
        raise AssetInvalid(f"GLB header says {length} bytes but the file has {size}")
    if size <= 12:
        raise AssetInvalid("GLB has no JSON chunk")
    chunk_len, chunk_type = _chunk_header(fh, 12, size)
    if chunk_type != CHUNK_JSON:
        raise AssetInvalid("GLB's first chunk is not JSON")
    if chunk_len > limits.max_json_bytes:
        raise AssetTooLarge("GLB's JSON chunk is too large")
    return parse_json(fh.read(chunk_len), limits.max_json_depth), chunk_len


def _chunk_header(fh: IO[bytes], pos: int, size: int) -> tuple[int, int]:
    """The length and type of the chunk at ``pos``, which must lie inside the file and be a
    whole number of 4-byte words."""
    chunk_header = fh.read(8)
    if len(chunk_header) < 8:
        raise AssetInvalid("GLB is truncated (incomplete chunk header)")
    chunk_len, chunk_type = struct.unpack("<II", chunk_header)
    if pos + 8 + chunk_len > size:
        raise AssetInvalid("GLB is truncated (a chunk runs past the end of the file)")
    if chunk_len % 4:
        raise AssetInvalid(
            f"a GLB chunk is {chunk_len} bytes, not a multiple of 4 (chunks are padded)"
        )
    return chunk_len, chunk_type

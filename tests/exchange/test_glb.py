"""GLB framing as the one reader judges it: the stricter rules of the two old parsers."""

from __future__ import annotations

import io
import json
import struct

import pytest

from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from exchange.glb import read_glb
from exchange.limits import AssetLimits

DOC = {"asset": {"version": "2.0"}}


def _chunk(kind: int, data: bytes) -> bytes:
    return struct.pack("<II", len(data), kind) + data


def _glb(*chunks: bytes, version: int = 2, extra: int = 0) -> bytes:
    body = b"".join(chunks)
    return b"glTF" + struct.pack("<II", version, 12 + len(body) + extra) + body


def _json(doc: dict = DOC, pad: bool = True) -> bytes:
    raw = json.dumps(doc).encode()
    return raw + b" " * (-len(raw) % 4) if pad else raw


def _read(data: bytes, limits: AssetLimits | None = None):
    return read_glb(io.BytesIO(data), len(data), limits or AssetLimits())


def test_json_and_bin_chunks_are_found() -> None:
    glb = _read(_glb(_chunk(0x4E4F534A, _json()), _chunk(0x004E4942, b"\1" * 8)))
    assert glb.document == DOC
    assert glb.bin_length == 8 and glb.bin_offset == 12 + 8 + len(_json()) + 8


def test_unknown_chunks_are_skipped_and_the_first_bin_is_buffer_0() -> None:
    glb = _read(
        _glb(
            _chunk(0x4E4F534A, _json()),
            _chunk(0x12345678, b"\0" * 4),
            _chunk(0x004E4942, b"\1" * 8),
            _chunk(0x004E4942, b"\2" * 12),
        )
    )
    assert glb.bin_length == 8


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"glTF", "bad magic"),
        (b"PK\3\4" + b"\0" * 20, "bad magic"),
        (_glb(_chunk(0x4E4F534A, _json())) + b"\0\0\0\0", "header says"),
        (_glb(_chunk(0x4E4F534A, _json()), extra=4), "header says"),
        (_glb(b"\1\0\0\0"), "incomplete chunk header"),
        (_glb(struct.pack("<II", 400, 0x4E4F534A) + _json()), "runs past the end"),
        (_glb(_chunk(0x004E4942, b"\0" * 4), _chunk(0x4E4F534A, _json())), "first chunk"),
        (_glb(), "no JSON chunk"),
    ],
    ids=[
        "short",
        "zip",
        "trailing-bytes",
        "length-past-end",
        "chunk-header",
        "chunk",
        "bin-first",
        "no-chunks",
    ],
)
def test_framing_errors(data: bytes, needle: str) -> None:
    with pytest.raises(AssetInvalid, match=needle):
        _read(data)


def test_chunks_must_be_padded_to_four_bytes() -> None:
    """One reader skipped to the next 4-byte boundary, the other did not: an unpadded chunk
    was a different file to each. Now it is refused by both."""
    json_chunk = _json(pad=False) + b" "
    assert len(json_chunk) % 4
    with pytest.raises(AssetInvalid, match="not a multiple of 4"):
        _read(_glb(_chunk(0x4E4F534A, json_chunk), _chunk(0x004E4942, b"\0" * 4)))
    with pytest.raises(AssetInvalid, match="not a multiple of 4"):
        _read(_glb(_chunk(0x4E4F534A, _json()), _chunk(0x004E4942, b"\0" * 5)))


def test_version_1_is_unsupported() -> None:
    with pytest.raises(AssetUnsupported, match="GLB version 1"):
        _read(_glb(_chunk(0x4E4F534A, _json()), version=1))


def test_json_chunk_limit() -> None:
    data = _glb(_chunk(0x4E4F534A, _json()))
    with pytest.raises(AssetTooLarge, match="JSON chunk is too large"):
        _read(data, AssetLimits(max_json_bytes=len(_json()) - 4))
    assert _read(data, AssetLimits(max_json_bytes=len(_json()))).document == DOC


def test_json_depth_limit_applies_inside_a_glb() -> None:
    deep = {"asset": {"version": "2.0"}, "extras": [[[[[[[[[[]]]]]]]]]]}
    with pytest.raises(AssetInvalid, match="nested more than 8 levels"):
        _read(_glb(_chunk(0x4E4F534A, _json(deep))), AssetLimits(max_json_depth=8))

"""Lighting environments for jobs: the built-in names, the upload check, loading a stored map.

An environment is uploaded as an overlay of layer ``environment`` (a Radiance ``.hdr`` or
an OpenEXR file). The API process reads only its header here (format, size, equirect
shape): decoding a float map is a worker's job, and a map whose pixels turn out broken
fails its render with the credits refunded, its message naming the file's fault.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from renderer.environment import BUILTIN_ENVIRONMENTS, Environment, load_environment
from workers.storage import ObjectStore

__all__ = [
    "BUILTIN_ENVIRONMENTS",
    "EnvironmentHeader",
    "EnvironmentInvalid",
    "environment_header",
    "load_stored_environment",
]

MAX_WIDTH, MAX_HEIGHT = 8192, 4096
EXR_MAGIC = b"\x76\x2f\x31\x01"
HEADER_BYTES = 64 * 1024


class EnvironmentInvalid(ValueError):
    """Not a usable equirectangular .hdr / .exr; the message says why."""


@dataclass(frozen=True)
class EnvironmentHeader:
    image_format: str
    """``hdr`` or ``exr``."""
    width: int
    height: int


def _hdr_size(head: bytes) -> tuple[int, int]:
    body = head.split(b"\n\n", 1)
    if len(body) != 2:
        raise EnvironmentInvalid("the .hdr header has no end")
    parts = body[1].split(b"\n", 1)[0].split()
    if len(parts) != 4 or parts[0] != b"-Y" or parts[2] != b"+X":
        raise EnvironmentInvalid("only top-down, left-to-right .hdr files are supported")
    try:
        return int(parts[3]), int(parts[1])
    except ValueError:
        raise EnvironmentInvalid("the .hdr size line is not numeric") from None


def _exr_size(head: bytes) -> tuple[int, int]:
    pos = 8  # magic + version
    while pos < len(head) and head[pos] != 0:
        name_end = head.index(b"\0", pos)
        type_end = head.index(b"\0", name_end + 1)
        (size,) = struct.unpack_from("<i", head, type_end + 1)
        value = type_end + 5
        if head[pos:name_end] == b"dataWindow" and size == 16:
            x0, y0, x1, y1 = struct.unpack_from("<4i", head, value)
            return x1 - x0 + 1, y1 - y0 + 1
        if size < 0:
            break
        pos = value + size
    raise EnvironmentInvalid("the OpenEXR header has no dataWindow")


def environment_header(path: Path) -> EnvironmentHeader:
    """Format and size from the header alone; refuses what no render could use."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    try:
        if head.startswith(EXR_MAGIC):
            kind, (width, height) = "exr", _exr_size(head)
        elif head.startswith((b"#?RADIANCE", b"#?RGBE")):
            kind, (width, height) = "hdr", _hdr_size(head)
        else:
            raise EnvironmentInvalid("an environment must be a Radiance .hdr or an OpenEXR file")
    except (ValueError, struct.error) as exc:
        if isinstance(exc, EnvironmentInvalid):
            raise
        raise EnvironmentInvalid("the file's header is damaged") from None
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise EnvironmentInvalid(
            f"{width}×{height} is outside 1×1 to {MAX_WIDTH}×{MAX_HEIGHT} pixels"
        )
    if abs(width - 2 * height) > 1:
        raise EnvironmentInvalid(
            f"{width}×{height} is not an equirectangular map (its width must be twice its height)"
        )
    return EnvironmentHeader(kind, width, height)


_loaded: OrderedDict[str, Environment] = OrderedDict()
KEEP_LOADED = 4


def load_stored_environment(store: ObjectStore, key: str, workdir: Path) -> Environment:
    """The map stored at ``key``. A worker keeps the last few (stored objects never
    change), so the renders of one campaign lit by one map download and decode it once."""
    if key in _loaded:
        _loaded.move_to_end(key)
        return _loaded[key]
    path = store.download(key, workdir / "environment")
    environment = load_environment(path, name=Path(key).name)
    _loaded[key] = environment
    while len(_loaded) > KEEP_LOADED:
        _loaded.popitem(last=False)
    return environment

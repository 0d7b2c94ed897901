"""Lighting environments for jobs: the built-in names, the upload check, loading a stored map.

An environment is uploaded as an overlay of layer ``environment`` (a Radiance ``.hdr`` or
an OpenEXR file). The API process reads only its header here (format, size, equirect
shape): decoding a float map is a worker's job, and a map whose pixels turn out broken
fails its render with the credits refunded, its message naming the file's fault.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from renderer.environment import (
    BUILTIN_ENVIRONMENTS,
    HEADER_BYTES,
    Environment,
    InvalidEnvironment,
    load_environment,
    map_size,
)
from workers.storage import ObjectStore

__all__ = [
    "BUILTIN_ENVIRONMENTS",
    "EnvironmentHeader",
    "InvalidEnvironment",
    "environment_header",
    "load_stored_environment",
]

MAX_WIDTH, MAX_HEIGHT = 8192, 4096


@dataclass(frozen=True)
class EnvironmentHeader:
    image_format: str
    """``hdr`` or ``exr``."""
    width: int
    height: int


def environment_header(path: Path) -> EnvironmentHeader:
    """Format and size from the header alone; refuses (:class:`InvalidEnvironment`) what
    no render could use."""
    with path.open("rb") as fh:
        kind, width, height = map_size(fh.read(HEADER_BYTES))
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise InvalidEnvironment(
            f"{width}×{height} is outside 1×1 to {MAX_WIDTH}×{MAX_HEIGHT} pixels"
        )
    if abs(width - 2 * height) > 1:
        raise InvalidEnvironment(
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

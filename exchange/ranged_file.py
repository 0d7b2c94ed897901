"""A seekable read-only file over ``size`` bytes that are fetched by range on demand.

Parsers (zipfile, Pillow, a GLB's header read) want a file; often only a window of one is
wanted — an image inside a GLB's BIN chunk, or a stored object read with ranged GETs so
an S3 store is never asked for the whole of it. ``fetch(start, n)`` returns those bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any


class RangedFile(io.RawIOBase):
    def __init__(self, size: int, fetch: Callable[[int, int], bytes]) -> None:
        self._size, self._fetch, self._pos = size, fetch, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._fetch(self._pos, n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

"""Where an asset's bytes live: a region of a file on disk, or bytes in memory.

A buffer, an image or the BIN chunk is a :class:`Blob`: the upload check reads one in
bounded pieces or opens it as a seekable stream (Pillow reads an image's header from it),
so a 100 MB GLB never sits in the API process's memory; the renderer reads it whole. Data
URIs and ZIP members read for the renderer are blobs in memory; the rest stay on disk.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from exchange.ranged_file import RangedFile


@dataclass(frozen=True)
class Blob:
    """``length`` bytes from ``offset`` of the file ``path`` or of ``data``."""

    length: int
    path: Path | None = None
    data: bytes | None = None
    offset: int = 0

    @classmethod
    def of_file(cls, path: Path) -> Blob:
        return cls(path.stat().st_size, path=path)

    @classmethod
    def of_bytes(cls, data: bytes) -> Blob:
        return cls(len(data), data=data)

    def window(self, start: int, size: int) -> Blob:
        """The ``size`` bytes from ``start`` (the caller has checked they lie inside)."""
        return Blob(size, self.path, self.data, self.offset + start)

    def read(self, start: int = 0, size: int | None = None) -> bytes:
        """Up to ``size`` bytes (default: to the end) from ``start``."""
        size = self.length - start if size is None else min(size, self.length - start)
        if size <= 0:
            return b""
        if self.data is not None:
            return self.data[self.offset + start : self.offset + start + size]
        assert self.path is not None
        with self.path.open("rb") as fh:
            fh.seek(self.offset + start)
            return fh.read(size)

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The blob as a seekable stream, read from disk on demand."""
        if self.data is not None:
            yield io.BytesIO(self.read())
            return
        assert self.path is not None
        with self.path.open("rb") as fh:

            def fetch(pos: int, n: int) -> bytes:
                fh.seek(self.offset + pos)
                return fh.read(n)

            yield io.BufferedReader(RangedFile(self.length, fetch))

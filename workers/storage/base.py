"""The object-store interface both the broker and the workers use."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class StorageError(Exception):
    """The store could not do what was asked (unreachable, refused, ...)."""


class ObjectNotFound(StorageError):
    """No object under that key."""


def check_key(key: str) -> str:
    """Keys are made by meshfarm, never by users; refuse anything that could escape a root."""
    if not _KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"invalid object key: {key!r}")
    return key


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified: float
    """When it was written, in seconds since the epoch."""


class ObjectStore(ABC):
    """A flat key → bytes store. Writes are atomic: a key holds a whole object or nothing."""

    @abstractmethod
    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> int:
        """Store the file at ``path`` under ``key``; returns its size."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Size in bytes, or None when there is no such object."""

    @abstractmethod
    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Stream bytes ``start..end`` (inclusive end, like HTTP Range) without loading it all."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under ``prefix``; returns how many."""

    @abstractmethod
    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under the folder ``prefix`` (e.g. ``models``), with its age: the
        janitor's view, to find what no row references."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageError unless the store answers (for /v1/health)."""

    def local_path(self, key: str) -> Path | None:
        """A filesystem path for the object when the store is local (lets Starlette serve it)."""
        return None

    def presign_get(self, key: str, expires_seconds: int = 3600) -> str | None:
        """A time-limited URL a client can fetch directly, when the store supports it."""
        return None

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def download(self, key: str, dest: Path) -> Path:
        """Copy an object to a local file (workers render from local files)."""
        tmp = dest.with_name(dest.name + ".part")
        with tmp.open("wb") as fh:
            for chunk in self.iter_range(key):
                fh.write(chunk)
        tmp.replace(dest)
        return dest

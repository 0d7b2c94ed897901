"""Object store on a local directory: the embedded default."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workers.storage.base import (
    CHUNK,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    check_key,
)


class LocalStore(ObjectStore):
    """Objects are files under ``root``; each write is temp file + fsync + rename."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> int:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".put-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, dest)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return dest.stat().st_size

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        try:
            fh = path.open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        with fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = fh.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        if not base.exists():
            return 0
        files = [p for p in base.rglob("*") if p.is_file()] if base.is_dir() else [base]
        for p in files:
            p.unlink(missing_ok=True)
        if base.is_dir():
            shutil.rmtree(base, ignore_errors=True)
        return len(files)

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        base = self._path(prefix.strip("/"))
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            try:
                if path.is_file():  # a put's temp file too: it is debris once old
                    yield StoredObject(path.relative_to(self.root).as_posix(), path.stat().st_mtime)
            except FileNotFoundError:
                continue

    def check(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK):
            raise StorageError(f"storage directory {self.root} is not writable")

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

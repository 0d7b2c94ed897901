"""ZIP uploads (OBJ scans, multi-file glTF): the directory checked, then only what the
model references expanded — the same rules at upload and at render.

Every entry's name, flags and method is checked from the central directory before any
byte is inflated: more than ``max_zip_entries`` entries, an entry named ``""`` or ``"."``
or with a ``..`` component or an absolute path, a symbolic link, an encrypted entry, an
unsupported compression method, two entries of one name, a file ``a`` beside
``a/b.bin``, or declared sizes past ``max_unzipped_bytes`` are each a clear refusal.
Members are then inflated one by one, when the model asks for them, their real bytes
counted against the same limit (declared sizes in a hostile archive can lie) and compared
with the size their header declares; a 500 MB block of zeros beside a small model is never
expanded. ``__MACOSX/`` and dot-files are not candidates for the one model.
"""

from __future__ import annotations

import lzma
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO

from exchange.blobs import Blob
from exchange.errors import AssetInvalid, ZipTooLarge
from exchange.limits import AssetLimits

MODEL_SUFFIXES = (".gltf", ".glb", ".obj")
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
CHUNK = 1024 * 1024
READ_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


def is_zip(head: bytes) -> bool:
    return head[:4] == b"PK\x03\x04"


def _parts(name: str) -> list[str]:
    """The path components of entry ``name``; refuses names that are not plain paths."""
    cleaned = name.replace("\\", "/")
    parts = cleaned.rstrip("/").split("/")
    if (
        cleaned.startswith("/")
        or (len(cleaned) > 1 and cleaned[1] == ":")
        or "\0" in cleaned
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise AssetInvalid(f"unsafe path in ZIP: {name!r}")
    return parts


def _ignored(parts: list[str]) -> bool:
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


class ZipModel:
    """A checked archive (a file, or a seekable stream of one): its file entries by name and
    the one model among them."""

    def __init__(
        self,
        archive: Path | IO[bytes],
        limits: AssetLimits,
        suffixes: tuple[str, ...] = MODEL_SUFFIXES,
    ) -> None:
        """``suffixes``: what names the one model (a zipped COLLADA's is its manifest)."""
        self._suffixes = suffixes
        try:
            self._zf = zipfile.ZipFile(archive)
        except (zipfile.BadZipFile, OSError) as exc:
            raise AssetInvalid("not a valid ZIP archive") from exc
        try:
            self._check(limits)
        except BaseException:
            self._zf.close()
            raise
        self._budget = limits.max_unzipped_bytes
        self._written = 0
        self._extracted: dict[str, Path] = {}

    def _check(self, limits: AssetLimits) -> None:
        infos = self._zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise AssetInvalid(f"ZIP has {len(infos)} entries (limit {limits.max_zip_entries})")
        self.members: dict[str, zipfile.ZipInfo] = {}
        files: set[str] = set()
        folders: set[str] = set()
        declared = 0
        models: list[str] = []
        for info in infos:
            parts = _parts(info.filename)
            path = "/".join(parts)
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
            if info.filename.endswith(("/", "\\")):
                folders.add(path)
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise AssetInvalid(f"ZIP entry {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise AssetInvalid(f"ZIP entry {info.filename!r} is encrypted")
            if info.compress_type not in METHODS:
                raise AssetInvalid(
                    f"ZIP entry {info.filename!r} uses compression method "
                    f"{info.compress_type}, which cannot be read (use deflate)"
                )
            if path in files:
                raise AssetInvalid(f"ZIP has two entries named {info.filename!r}")
            files.add(path)
            declared += info.file_size
            self.members[info.filename] = info
            if not _ignored(parts) and path.lower().endswith(self._suffixes):
                models.append(info.filename)
        clash = sorted(files & folders)
        if clash:
            raise AssetInvalid(f"ZIP has both a file and a folder named {clash[0]!r}")
        if declared > limits.max_unzipped_bytes:
            raise ZipTooLarge(
                f"ZIP expands to {declared} bytes (limit {limits.max_unzipped_bytes})"
            )
        if not models:
            kinds = ", ".join(self._suffixes)
            raise AssetInvalid(f"ZIP contains no model ({kinds})")
        if len(models) > 1:
            names = ", ".join(models[:5])
            raise AssetInvalid(f"ZIP must contain one model, found {len(models)}: {names}")
        self.model = models[0]

    def __enter__(self) -> ZipModel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._zf.close()

    def _inflate(self, name: str, sink: Callable[[bytes], None]) -> None:
        """Member ``name``'s bytes, chunk by chunk, counted against the expansion limit."""
        info = self.members[name]
        size = 0
        try:
            with self._zf.open(info) as src:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    self._written += len(chunk)
                    if self._written > self._budget:
                        raise ZipTooLarge(f"ZIP expands past the limit of {self._budget} bytes")
                    sink(chunk)
        except READ_ERRORS as exc:
            raise AssetInvalid(f"ZIP entry {name!r} cannot be read: {exc}") from None
        if size != info.file_size:
            raise AssetInvalid(f"ZIP entry {name!r} is not the size its header says")

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """Member ``name`` as a stream, inflated as it is read: for a reader that needs only
        its start (a GLB's JSON chunk), which bounds what it reads itself (the expansion
        limit does not count it)."""
        try:
            with self._zf.open(self.members[name]) as src:
                yield src
        except READ_ERRORS as exc:
            raise AssetInvalid(f"ZIP entry {name!r} cannot be read: {exc}") from None

    def extract(
        self, name: str, dest: Path, observe: Callable[[bytes], None] | None = None
    ) -> Path:
        """Member ``name`` written under ``dest`` (once); ``observe`` sees every chunk as it
        is inflated (and may refuse)."""
        if name in self._extracted:
            return self._extracted[name]
        target = dest.joinpath(*_parts(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:

            def write(chunk: bytes) -> None:
                if observe is not None:
                    observe(chunk)
                out.write(chunk)

            self._inflate(name, write)
        self._extracted[name] = target
        return target

    def read(self, name: str) -> bytes:
        """Member ``name`` inflated into memory (counted like an extraction)."""
        chunks: list[bytes] = []
        self._inflate(name, chunks.append)
        return b"".join(chunks)

    def find(self, rel: str, beside: str) -> str | None:
        """The member that relative path ``rel`` names, seen from member ``beside``."""
        key = posixpath.normpath(posixpath.join(posixpath.dirname(beside), rel))
        return key if key in self.members else None

    def files(self, dest: Path | None) -> ZipFiles:
        """The model's references into this archive: extracted under ``dest`` on first
        use, or (``dest`` None) read into memory."""
        return ZipFiles(self, dest)


class ZipFiles:
    """:class:`exchange.uris.Files` over the members of a :class:`ZipModel`."""

    def __init__(self, archive: ZipModel, dest: Path | None) -> None:
        self.archive, self.dest = archive, dest
        self._read: dict[str, Blob] = {}

    def blob(self, path: str, uri: str, what: str) -> Blob:
        name = self.archive.find(path, self.archive.model)
        if name is None:
            raise AssetInvalid(f"{what} refers to a missing file: {uri!r}")
        return self.member(name)

    def member(self, name: str) -> Blob:
        """Member ``name`` (inflated once)."""
        if name not in self._read:
            if self.dest is None:
                self._read[name] = Blob.of_bytes(self.archive.read(name))
            else:
                self._read[name] = Blob.of_file(self.archive.extract(name, self.dest))
        return self._read[name]

"""ZIP uploads (OBJ scans, multi-file glTF): the directory checked, then only what the
model references expanded.

Every entry's name, flags and method is checked from the central directory before any
byte is inflated — an entry named ``""`` or ``"."``, an encrypted one, a file ``a`` beside
``a/b.bin`` are each a clear refusal. Members are then extracted one by one, when the model
asks for them, so a 500 MB block of zeros next to a small model is never expanded.
"""

from __future__ import annotations

import lzma
import posixpath
import shutil
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

from broker.ingest.errors import ModelInvalid, ZipTooLarge
from broker.ingest.limits import ModelLimits

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

__all__ = ["ZipModel", "ZipTooLarge", "remove_tree"]


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
        raise ModelInvalid(f"unsafe path in ZIP: {name!r}")
    return parts


def _ignored(parts: list[str]) -> bool:
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


class ZipModel:
    """A checked archive: its file entries by name and the one model among them."""

    def __init__(self, archive: Path, limits: ModelLimits) -> None:
        try:
            self._zf = zipfile.ZipFile(archive)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ModelInvalid("not a valid ZIP archive") from exc
        try:
            self._check(limits)
        except BaseException:
            self._zf.close()
            raise
        self._budget = limits.max_unzipped_bytes
        self._written = 0
        self._extracted: dict[str, Path] = {}

    def _check(self, limits: ModelLimits) -> None:
        infos = self._zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise ModelInvalid(f"ZIP has {len(infos)} entries (limit {limits.max_zip_entries})")
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
                raise ModelInvalid(f"ZIP entry {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise ModelInvalid(f"ZIP entry {info.filename!r} is encrypted")
            if info.compress_type not in METHODS:
                raise ModelInvalid(
                    f"ZIP entry {info.filename!r} uses compression method "
                    f"{info.compress_type}, which cannot be read (use deflate)"
                )
            if path in files:
                raise ModelInvalid(f"ZIP has two entries named {info.filename!r}")
            files.add(path)
            declared += info.file_size
            self.members[info.filename] = info
            if not _ignored(parts) and path.lower().endswith(MODEL_SUFFIXES):
                models.append(info.filename)
        clash = sorted(files & folders)
        if clash:
            raise ModelInvalid(f"ZIP has both a file and a folder named {clash[0]!r}")
        if declared > limits.max_unzipped_bytes:
            raise ZipTooLarge(
                f"ZIP expands to {declared} bytes (limit {limits.max_unzipped_bytes})"
            )
        if not models:
            raise ModelInvalid("ZIP contains no model (.gltf, .glb or .obj)")
        if len(models) > 1:
            names = ", ".join(models[:5])
            raise ModelInvalid(f"ZIP must contain one model, found {len(models)}: {names}")
        self.model = models[0]

    def __enter__(self) -> ZipModel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._zf.close()

    def extract(
        self, name: str, dest: Path, observe: Callable[[bytes], None] | None = None
    ) -> Path:
        """Member ``name`` written under ``dest`` (once), its real bytes counted against the
        expansion limit; ``observe`` sees every chunk as it is inflated (and may refuse)."""
        if name in self._extracted:
            return self._extracted[name]
        info = self.members[name]
        target = dest.joinpath(*_parts(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            try:
                with self._zf.open(info) as src:
                    # Count real bytes: declared sizes in a hostile archive can lie.
                    while chunk := src.read(CHUNK):
                        self._written += len(chunk)
                        if self._written > self._budget:
                            raise ZipTooLarge(f"ZIP expands past the limit of {self._budget} bytes")
                        if observe is not None:
                            observe(chunk)
                        out.write(chunk)
            except READ_ERRORS as exc:
                raise ModelInvalid(f"ZIP entry {name!r} cannot be read: {exc}") from None
        self._extracted[name] = target
        return target

    def find(self, rel: str, beside: str) -> str | None:
        """The member that relative path ``rel`` names, seen from member ``beside``."""
        key = posixpath.normpath(posixpath.join(posixpath.dirname(beside), rel))
        return key if key in self.members else None

    def resolver(self, dest: Path) -> Callable[[str, str], Path]:
        """URIs of the model resolved as the renderer does, extracted on first use."""

        def resolve(uri: str, what: str) -> Path:
            rel = unquote(uri).replace("\\", "/")
            norm = posixpath.normpath(posixpath.join(posixpath.dirname(self.model), rel))
            if "://" in uri or rel.startswith("/") or norm == ".." or norm.startswith("../"):
                raise ModelInvalid(f"{what} refers to a file outside the upload: {uri!r}")
            name = self.find(rel, self.model)
            if name is None:
                raise ModelInvalid(f"{what} refers to a missing file: {uri!r}")
            return self.extract(name, dest)

        return resolve


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""Safe inspection and extraction of ZIP uploads (OBJ scans, multi-file glTF)."""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from broker.ingest.gltf_check import ModelInvalid

MODEL_SUFFIXES = (".gltf", ".glb", ".obj")
CHUNK = 1024 * 1024


class ZipTooLarge(ModelInvalid):
    """The archive expands past the configured limit (a ZIP bomb, or just too big)."""


@dataclass(frozen=True)
class ExtractedZip:
    root: Path
    model: Path


def _safe_name(name: str) -> PurePosixPath:
    cleaned = name.replace("\\", "/")
    path = PurePosixPath(cleaned)
    if (
        cleaned.startswith("/")
        or (len(cleaned) > 1 and cleaned[1] == ":")
        or ".." in path.parts
        or "\0" in cleaned
    ):
        raise ModelInvalid(f"unsafe path in ZIP: {name!r}")
    return path


def _ignored(path: PurePosixPath) -> bool:
    return path.parts[0] == "__MACOSX" or any(p.startswith(".") for p in path.parts)


def extract_zip(archive: Path, dest: Path, *, max_bytes: int, max_entries: int) -> ExtractedZip:
    """Extract into ``dest`` after checking every entry; exactly one model must be inside."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelInvalid("not a valid ZIP archive") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise ModelInvalid(f"ZIP has {len(infos)} entries (limit {max_entries})")
        declared = 0
        members: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            path = _safe_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ModelInvalid(f"ZIP entry {info.filename!r} is a symbolic link")
            if info.is_dir() or _ignored(path):
                continue
            declared += info.file_size
            members.append((info, path))
        if declared > max_bytes:
            raise ZipTooLarge(f"ZIP expands to {declared} bytes (limit {max_bytes})")
        models = [p for _, p in members if p.suffix.lower() in MODEL_SUFFIXES]
        if not models:
            raise ModelInvalid("ZIP contains no model (.gltf, .glb or .obj)")
        if len(models) > 1:
            names = ", ".join(str(p) for p in models[:5])
            raise ModelInvalid(f"ZIP must contain one model, found {len(models)}: {names}")
        written = 0
        for info, path in members:
            target = dest.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, target.open("wb") as out:
                    # Count real bytes: declared sizes in a hostile archive can lie.
                    while chunk := src.read(CHUNK):
                        written += len(chunk)
                        if written > max_bytes:
                            raise ZipTooLarge(f"ZIP expands past the limit of {max_bytes} bytes")
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise ModelInvalid(f"ZIP entry {info.filename!r} cannot be read: {exc}") from exc
        return ExtractedZip(dest, dest.joinpath(*models[0].parts))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""Where a glTF's bytes come from: .glb framing, .gltf JSON, ZIP members, data URIs.

This module turns a path into the JSON document plus a resolver for the ``uri``s it
references, validating the container on the way (GLB magic and chunk framing, ZIP member
sizes, paths that try to leave the ZIP or the model's folder). Everything it refuses is
an :class:`~renderer.errors.InvalidModel` or :class:`~renderer.errors.ModelTooLarge`.
"""

from __future__ import annotations

import base64
import json
import posixpath
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from renderer import limits
from renderer.errors import InvalidModel, ModelTooLarge, UnsupportedModel

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942


@dataclass
class GltfSource:
    """The parsed JSON, the GLB binary chunk (if any) and a ``uri → bytes`` resolver."""

    document: dict[str, Any]
    glb_bin: bytes | None
    resolve: Callable[[str], bytes]
    name: str


def open_source(path: str | Path) -> GltfSource:
    """Open a .glb, .gltf or .zip file as a :class:`GltfSource`."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidModel(f"cannot read {path.name}: {exc.strerror}") from None
    if size > limits.MAX_FILE_BYTES:
        raise ModelTooLarge(f"{path.name} is {size} bytes; the limit is {limits.MAX_FILE_BYTES}")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".zip" or data[:4] == b"PK\x03\x04":
        return _open_zip(path)
    folder = path.parent

    def resolve(uri: str) -> bytes:
        return _resolve_uri(uri, lambda rel: _read_beside(folder, rel))

    return _parse_container(data, resolve, path.name)


def _parse_container(data: bytes, resolve: Callable[[str], bytes], name: str) -> GltfSource:
    if not data:
        raise InvalidModel(f"{name} is empty")
    if name.lower().endswith(".glb") and data[:4] != b"glTF":
        raise InvalidModel(f"{name} is not a GLB file (bad magic)")
    if data[:4] == b"glTF":
        document, glb_bin = _parse_glb(data)
    else:
        document, glb_bin = _parse_json(data), None
    if not isinstance(document, dict):
        raise InvalidModel("the glTF JSON must be an object")
    version = str(document.get("asset", {}).get("version", ""))
    if not version.startswith("2."):
        raise UnsupportedModel(f"only glTF 2.x is supported (asset.version is {version!r})")
    return GltfSource(document, glb_bin, resolve, name)


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidModel(f"the glTF JSON cannot be parsed: {exc}") from None


def _parse_glb(data: bytes) -> tuple[Any, bytes | None]:
    if len(data) < 20:
        raise InvalidModel("the GLB file is truncated (shorter than its 20-byte header)")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC:
        raise InvalidModel("not a GLB file (bad magic)")
    if version != 2:
        raise UnsupportedModel(f"GLB container version {version} is not supported")
    if length > len(data):
        raise InvalidModel(f"the GLB header claims {length} bytes but the file has {len(data)}")
    offset = 12
    chunks: list[tuple[int, bytes]] = []
    while offset < length:
        if offset + 8 > length:
            raise InvalidModel("the GLB file ends inside a chunk header")
        chunk_len, chunk_type = struct.unpack_from("<II", data, offset)
        offset += 8
        if offset + chunk_len > length:
            raise InvalidModel("a GLB chunk runs past the end of the file (truncated?)")
        chunks.append((chunk_type, data[offset : offset + chunk_len]))
        offset += (chunk_len + 3) & ~3
    if not chunks or chunks[0][0] != CHUNK_JSON:
        raise InvalidModel("the GLB file does not start with a JSON chunk")
    document = _parse_json(chunks[0][1])
    glb_bin = next((c for t, c in chunks[1:] if t == CHUNK_BIN), None)
    return document, glb_bin


def _resolve_uri(uri: str, read_relative: Callable[[str], bytes]) -> bytes:
    if uri.startswith("data:"):
        header, _, payload = uri.partition(",")
        if not header.endswith(";base64"):
            raise UnsupportedModel("only base64 data: URIs are supported")
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            raise InvalidModel("a data: URI holds invalid base64") from None
    if "://" in uri:
        raise UnsupportedModel(f"external URI {uri!r} is not allowed; embed or zip the file")
    return read_relative(_safe_relative(unquote(uri)))


def _safe_relative(rel: str) -> str:
    rel = rel.replace("\\", "/")
    norm = posixpath.normpath(rel)
    if rel.startswith("/") or norm == ".." or norm.startswith("../"):
        raise InvalidModel(f"the file reference {rel!r} points outside the model")
    return norm


def _read_beside(folder: Path, rel: str) -> bytes:
    target = folder / rel
    try:
        return target.read_bytes()
    except OSError:
        raise InvalidModel(f"the referenced file {rel!r} is missing") from None


def _open_zip(path: Path) -> GltfSource:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidModel(f"{path.name} is not a readable ZIP: {exc}") from None
    with archive:
        members = {
            info.filename: info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        }
        total = sum(info.file_size for info in members.values())
        if total > limits.MAX_ZIP_UNCOMPRESSED_BYTES:
            raise ModelTooLarge(f"the ZIP expands to {total} bytes; the limit is 1 GiB")
        models = [n for n in members if n.lower().endswith((".gltf", ".glb"))]
        if not models:
            raise UnsupportedModel("the ZIP holds no .gltf or .glb file")
        if len(models) > 1:
            raise InvalidModel(f"the ZIP holds {len(models)} glTF files; expected exactly one")
        main = models[0]
        folder = posixpath.dirname(main)
        main_data = _read_member(archive, members[main])

    def read_relative(rel: str) -> bytes:
        key = posixpath.normpath(posixpath.join(folder, rel)) if folder else rel
        if key.startswith("../"):
            raise InvalidModel(f"the file reference {rel!r} points outside the ZIP")
        if key not in members:
            raise InvalidModel(f"the referenced file {rel!r} is missing from the ZIP")
        with zipfile.ZipFile(path) as again:  # only referenced members are ever inflated
            return _read_member(again, members[key])

    def resolve(uri: str) -> bytes:
        return _resolve_uri(uri, read_relative)

    return _parse_container(main_data, resolve, posixpath.basename(main))


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
        raise InvalidModel(f"ZIP member {info.filename!r} cannot be read: {exc}") from None
    if len(data) != info.file_size:
        raise InvalidModel(f"ZIP member {info.filename!r} is not the size its header says")
    return data

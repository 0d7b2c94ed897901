"""Structural validation of glTF 2.0 / GLB files before they are accepted.

pygltflib and trimesh accept truncated chunks, absurd byte lengths, node cycles,
out-of-range indices and infinite positions without complaint, so the broker checks them
itself. Binary data is read in bounded chunks: a 100 MB GLB never sits in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
READ_ELEMENTS = 1 << 18
# Data of these is compressed in the buffer and checked by the decoder at render time.
COMPRESSED_PRIMITIVE_EXT = "KHR_draco_mesh_compression"
COMPRESSED_VIEW_EXT = ("EXT_meshopt_compression", "KHR_meshopt_compression")


class ModelInvalid(ValueError):
    """The file is not a usable glTF model; the message says why, for the client."""


@dataclass(frozen=True)
class _Source:
    """Where a buffer's bytes live: a file region or in-memory bytes (data URIs)."""

    path: Path | None
    offset: int
    length: int
    data: bytes | None = None

    def read(self, start: int, size: int) -> bytes:
        if self.data is not None:
            return self.data[start : start + size]
        assert self.path is not None
        with self.path.open("rb") as fh:
            fh.seek(self.offset + start)
            return fh.read(size)


def _int(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ModelInvalid(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def _index(value: Any, items: list[Any], what: str) -> int:
    idx = _int(value, what)
    if idx >= len(items):
        raise ModelInvalid(f"{what} {idx} is out of range (there are {len(items)})")
    return idx


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ModelInvalid(f"'{key}' must be an array of objects")
    return value


def read_glb(path: Path, max_json: int) -> tuple[dict[str, Any], _Source | None]:
    """Check GLB framing; return the JSON document and where the BIN chunk lives."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(12)
        if len(header) < 12 or header[:4] != GLB_MAGIC:
            raise ModelInvalid("not a GLB file (bad magic bytes)")
        version, length = struct.unpack("<II", header[4:])
        if version != 2:
            raise ModelInvalid(f"unsupported GLB version {version} (need 2)")
        if length != size:
            raise ModelInvalid(f"GLB header says {length} bytes but the file has {size}")
        doc: dict[str, Any] | None = None
        bin_source: _Source | None = None
        pos = 12
        while pos < size:
            chunk_header = fh.read(8)
            if len(chunk_header) < 8:
                raise ModelInvalid("GLB is truncated (incomplete chunk header)")
            chunk_len, chunk_type = struct.unpack("<II", chunk_header)
            if pos + 8 + chunk_len > size:
                raise ModelInvalid("GLB is truncated (a chunk runs past the end of the file)")
            if doc is None:
                if chunk_type != CHUNK_JSON:
                    raise ModelInvalid("GLB's first chunk is not JSON")
                if chunk_len > max_json:
                    raise ModelInvalid("GLB's JSON chunk is too large")
                doc = parse_json(fh.read(chunk_len))
            else:
                if chunk_type == CHUNK_BIN and bin_source is None:
                    bin_source = _Source(path, pos + 8, chunk_len)
                fh.seek(chunk_len, 1)
            pos += 8 + chunk_len
    if doc is None:
        raise ModelInvalid("GLB has no JSON chunk")
    return doc, bin_source


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInvalid(f"glTF JSON is not valid: {exc}") from exc
    if not isinstance(doc, dict):
        raise ModelInvalid("glTF JSON must be an object")
    return doc


def _buffer_sources(
    doc: dict[str, Any], bin_source: _Source | None, base_dir: Path | None
) -> list[_Source | None]:
    """Resolve each buffer; None means its data is intentionally absent (meshopt fallback)."""
    sources: list[_Source | None] = []
    for i, buf in enumerate(_list(doc, "buffers")):
        length = _int(buf.get("byteLength"), f"buffers[{i}].byteLength", 1)
        uri = buf.get("uri")
        if uri is None:
            if i == 0 and bin_source is not None:
                if bin_source.length < length:
                    raise ModelInvalid(f"buffers[0] needs {length} bytes, GLB BIN has fewer")
                sources.append(bin_source)
            elif buf.get("extensions", {}).get("EXT_meshopt_compression", {}).get("fallback"):
                sources.append(None)
            else:
                raise ModelInvalid(f"buffers[{i}] has no data")
            continue
        if not isinstance(uri, str):
            raise ModelInvalid(f"buffers[{i}].uri must be a string")
        if uri.startswith("data:"):
            data = _decode_data_uri(uri, f"buffers[{i}]")
            if len(data) < length:
                raise ModelInvalid(f"buffers[{i}] data URI is shorter than its byteLength")
            sources.append(_Source(None, 0, len(data), data))
            continue
        path = _resolve(uri, base_dir, f"buffers[{i}]")
        if path.stat().st_size < length:
            raise ModelInvalid(f"buffers[{i}] file {uri!r} is shorter than its byteLength")
        sources.append(_Source(path, 0, length))
    return sources


def _decode_data_uri(uri: str, what: str) -> bytes:
    head, _, payload = uri.partition(",")
    try:
        if head.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote(payload).encode("latin-1")
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise ModelInvalid(f"{what} has a malformed data URI") from exc


def _resolve(uri: str, base_dir: Path | None, what: str) -> Path:
    if base_dir is None:
        raise ModelInvalid(
            f"{what} refers to an external file {uri!r}: upload a .glb, a .gltf with embedded "
            "data, or a .zip holding the .gltf with its files"
        )
    rel = unquote(uri).replace("\\", "/")
    target = (base_dir / rel).resolve()
    if not target.is_relative_to(base_dir.resolve()):
        raise ModelInvalid(f"{what} refers to a file outside the upload: {uri!r}")
    if not target.is_file():
        raise ModelInvalid(f"{what} refers to a missing file: {uri!r}")
    return target


class _Accessors:
    """Bounds-checked views of accessor data, read chunk by chunk."""

    def __init__(self, doc: dict[str, Any], sources: list[_Source | None]) -> None:
        self.sources = sources
        self.buffers = _list(doc, "buffers")
        self.views = _list(doc, "bufferViews")
        self.accessors = _list(doc, "accessors")
        for i, view in enumerate(self.views):
            what = f"bufferViews[{i}]"
            buf = _index(view.get("buffer"), self.buffers, f"{what}.buffer")
            offset = _int(view.get("byteOffset", 0), f"{what}.byteOffset")
            length = _int(view.get("byteLength"), f"{what}.byteLength", 1)
            if "byteStride" in view:
                stride = _int(view["byteStride"], f"{what}.byteStride", 4)
                if stride > 252:
                    raise ModelInvalid(f"{what}.byteStride {stride} is larger than 252")
            if offset + length > self.buffers[buf]["byteLength"]:
                raise ModelInvalid(f"{what} runs past the end of buffer {buf}")
        for i in range(len(self.accessors)):
            self._check_accessor(i)

    def _layout(self, i: int) -> tuple[np.dtype[Any], int, int]:
        acc = self.accessors[i]
        what = f"accessors[{i}]"
        ctype = acc.get("componentType")
        if ctype not in COMPONENT_DTYPES:
            raise ModelInvalid(f"{what}.componentType {ctype!r} is not valid")
        if acc.get("type") not in TYPE_SIZES:
            raise ModelInvalid(f"{what}.type {acc.get('type')!r} is not valid")
        return np.dtype(COMPONENT_DTYPES[ctype]), TYPE_SIZES[acc["type"]], acc.get("count", 0)

    def _check_accessor(self, i: int) -> None:
        acc = self.accessors[i]
        what = f"accessors[{i}]"
        dtype, ncomp, _ = self._layout(i)
        count = _int(acc.get("count"), f"{what}.count", 1)
        if "bufferView" not in acc:
            return
        view = self.views[_index(acc["bufferView"], self.views, f"{what}.bufferView")]
        offset = _int(acc.get("byteOffset", 0), f"{what}.byteOffset")
        elem = dtype.itemsize * ncomp
        stride = view.get("byteStride", elem)
        if offset + stride * (count - 1) + elem > view["byteLength"]:
            raise ModelInvalid(f"{what} reads past the end of its bufferView")

    def iter_data(self, i: int) -> Iterator[np.ndarray]:
        """Yield the accessor's elements as (n, components) arrays; nothing if not checkable."""
        acc = self.accessors[i]
        if "bufferView" not in acc or "sparse" in acc:
            return
        dtype, ncomp, count = self._layout(i)
        view = self.views[acc["bufferView"]]
        if any(ext in view.get("extensions", {}) for ext in COMPRESSED_VIEW_EXT):
            return
        source = self.sources[view["buffer"]]
        if source is None:
            return
        elem = dtype.itemsize * ncomp
        stride = view.get("byteStride", elem)
        base = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
        for first in range(0, count, READ_ELEMENTS):
            n = min(READ_ELEMENTS, count - first)
            raw = source.read(base + first * stride, stride * (n - 1) + elem)
            padded = np.frombuffer(raw + b"\0" * (stride * n - len(raw)), dtype=np.uint8)
            rows = padded.reshape(n, stride)[:, :elem]
            yield np.ascontiguousarray(rows).view(dtype).reshape(n, ncomp)


def _check_nodes(doc: dict[str, Any], meshes: list[Any]) -> None:
    nodes = _list(doc, "nodes")
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        if "mesh" in node:
            _index(node["mesh"], meshes, f"nodes[{i}].mesh")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise ModelInvalid(f"nodes[{i}].children must be an array")
        for child in children:
            c = _index(child, nodes, f"nodes[{i}].children")
            if c == i or c in parent:
                raise ModelInvalid(f"node {c} has more than one parent or is its own child")
            parent[c] = i
    for start in parent:  # a chain of parents that returns to its start is a cycle
        seen = {start}
        node = start
        while node in parent:
            node = parent[node]
            if node in seen:
                raise ModelInvalid(f"the node hierarchy has a cycle through node {start}")
            seen.add(node)
    for s, scene in enumerate(_list(doc, "scenes")):
        for root in scene.get("nodes", []):
            _index(root, nodes, f"scenes[{s}].nodes")
    if "scene" in doc:
        _index(doc["scene"], _list(doc, "scenes"), "scene")


def _check_images(doc: dict[str, Any], base_dir: Path | None) -> None:
    images = _list(doc, "images")
    views = _list(doc, "bufferViews")
    for i, image in enumerate(images):
        if "bufferView" in image:
            _index(image["bufferView"], views, f"images[{i}].bufferView")
        elif isinstance(image.get("uri"), str) and not image["uri"].startswith("data:"):
            _resolve(image["uri"], base_dir, f"images[{i}]")
    for t, texture in enumerate(_list(doc, "textures")):
        if "source" in texture:
            _index(texture["source"], images, f"textures[{t}].source")


def _check_meshes(doc: dict[str, Any], accessors: _Accessors) -> int:
    """Validate primitives; returns the number of primitives with geometry."""
    meshes = _list(doc, "meshes")
    drawable = 0
    for m, mesh in enumerate(meshes):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not prims:
            raise ModelInvalid(f"meshes[{m}] has no primitives")
        for p, prim in enumerate(prims):
            what = f"meshes[{m}].primitives[{p}]"
            attrs = prim.get("attributes") if isinstance(prim, dict) else None
            if not isinstance(attrs, dict) or "POSITION" not in attrs:
                raise ModelInvalid(f"{what} has no POSITION attribute")
            for name, idx in attrs.items():
                _index(idx, accessors.accessors, f"{what}.attributes.{name}")
            if "indices" in prim:
                _index(prim["indices"], accessors.accessors, f"{what}.indices")
            if COMPRESSED_PRIMITIVE_EXT in prim.get("extensions", {}):
                drawable += 1
                continue
            vertex_count = accessors.accessors[attrs["POSITION"]]["count"]
            for chunk in accessors.iter_data(attrs["POSITION"]):
                if not np.isfinite(chunk).all():
                    raise ModelInvalid(f"{what} has NaN or infinite vertex positions")
            if "indices" in prim:
                for chunk in accessors.iter_data(prim["indices"]):
                    if chunk.size and int(chunk.max()) >= vertex_count:
                        raise ModelInvalid(
                            f"{what} has an index {int(chunk.max())} past its "
                            f"{vertex_count} vertices"
                        )
            drawable += 1
    return drawable


def check_document(doc: dict[str, Any], bin_source: _Source | None, base_dir: Path | None) -> None:
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise ModelInvalid("not a glTF 2.0 file (asset.version must be 2.x)")
    sources = _buffer_sources(doc, bin_source, base_dir)
    accessors = _Accessors(doc, sources)
    meshes = _list(doc, "meshes")
    _check_nodes(doc, meshes)
    _check_images(doc, base_dir)
    if _check_meshes(doc, accessors) == 0:
        raise ModelInvalid("the model has no geometry (no mesh primitives)")


def check_gltf_file(
    path: Path, *, max_json: int, binary: bool | None = None, base_dir: Path | None = None
) -> None:
    """Validate a GLB (``binary``, default: by suffix) or a .gltf; URIs resolve in ``base_dir``."""
    if binary if binary is not None else path.suffix.lower() == ".glb":
        doc, bin_source = read_glb(path, max_json)
    else:
        if path.stat().st_size > max_json:
            raise ModelInvalid("glTF JSON file is too large")
        doc, bin_source = parse_json(path.read_bytes()), None
    check_document(doc, bin_source, base_dir)

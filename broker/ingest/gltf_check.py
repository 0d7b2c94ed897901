"""Structural validation of glTF 2.0 / GLB files before they are accepted.

pygltflib and trimesh accept truncated chunks, absurd byte lengths, node cycles,
out-of-range indices and infinite positions without complaint, so the broker checks them
itself — and checks what the file would cost the renderer, from its declarations, before
anything is decoded: accessor data (zero-filled and sparse accessors included), triangles,
vertices, texture pixels (docs/api.md, "Model limits"). Binary data is read in bounded
chunks, each accessor once: a 100 MB GLB never sits in memory.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import numpy as np

from broker.ingest.errors import ModelInvalid
from broker.ingest.gltf_images import check_textures
from broker.ingest.gltf_structure import (
    check_scene_draws,
    check_structure,
    drawn_triangles,
    index,
    integer,
    objects,
)
from broker.ingest.json_bounds import parse_json
from broker.ingest.limits import MAX_ACCESSOR_COUNT, ModelLimits
from broker.ingest.ranged_file import RangedFile
from workers.model_support import undrawable_required_extensions

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
SPARSE_INDEX_TYPES = (5121, 5123, 5125)
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
READ_BYTES = 4 * 1024 * 1024
# Data of these is compressed in the buffer and checked by the decoder at render time.
COMPRESSED_PRIMITIVE_EXT = "KHR_draco_mesh_compression"
COMPRESSED_VIEW_EXT = ("EXT_meshopt_compression", "KHR_meshopt_compression")
# Attributes the renderer reads; each must have one element per vertex and finite values.
VERTEX_ATTRIBUTES = (
    "NORMAL",
    "TANGENT",
    "TEXCOORD_0",
    "TEXCOORD_1",
    "COLOR_0",
    "JOINTS_0",
    "WEIGHTS_0",
)
MAX_MORPH_TARGETS = 64

Resolver = Callable[[str, str], Path]
"""``(uri, what) → path`` of a file the model references; raises ModelInvalid."""


def no_external_files(uri: str, what: str) -> Path:
    raise ModelInvalid(
        f"{what} refers to an external file {uri!r}: upload a .glb, a .gltf with embedded "
        "data, or a .zip holding the .gltf with its files"
    )


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

    @contextmanager
    def open(self, start: int, size: int) -> Iterator[BinaryIO]:
        """A seekable stream over ``size`` bytes from ``start`` (an image in a view)."""
        if self.data is not None:
            yield io.BytesIO(self.data[start : start + size])
            return
        assert self.path is not None
        with self.path.open("rb") as fh:
            base = self.offset + start

            def fetch(pos: int, n: int) -> bytes:
                fh.seek(base + pos)
                return fh.read(n)

            yield io.BufferedReader(RangedFile(size, fetch))


def read_glb(path: Path, limits: ModelLimits) -> tuple[dict[str, Any], _Source | None, int]:
    """Check GLB framing; return the JSON document, where the BIN chunk lives, JSON size."""
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
        json_len = 0
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
                if chunk_len > limits.max_json_bytes:
                    raise ModelInvalid("GLB's JSON chunk is too large")
                doc, json_len = parse_json(fh.read(chunk_len), limits.max_json_depth), chunk_len
            else:
                if chunk_type == CHUNK_BIN and bin_source is None:
                    bin_source = _Source(path, pos + 8, chunk_len)
                fh.seek(chunk_len, 1)
            pos += 8 + chunk_len
    if doc is None:
        raise ModelInvalid("GLB has no JSON chunk")
    return doc, bin_source, json_len


def _buffer_sources(
    doc: dict[str, Any], bin_source: _Source | None, resolve: Resolver
) -> list[_Source | None]:
    """Resolve each buffer; None means its data is intentionally absent (meshopt fallback)."""
    sources: list[_Source | None] = []
    for i, buf in enumerate(objects(doc, "buffers")):
        length = integer(buf.get("byteLength"), f"buffers[{i}].byteLength", 1)
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
        source = _uri_source(uri, f"buffers[{i}]", resolve)
        if source.length < length:
            raise ModelInvalid(f"buffers[{i}] data is shorter than its byteLength")
        sources.append(source)
    return sources


def _uri_source(uri: Any, what: str, resolve: Resolver) -> _Source:
    if not isinstance(uri, str):
        raise ModelInvalid(f"{what}.uri must be a string")
    if uri.startswith("data:"):
        data = _decode_data_uri(uri, what)
        return _Source(None, 0, len(data), data)
    path = resolve(uri, what)
    return _Source(path, 0, path.stat().st_size)


def _decode_data_uri(uri: str, what: str) -> bytes:
    head, _, payload = uri.partition(",")
    try:
        if head.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote(payload).encode("latin-1")
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise ModelInvalid(f"{what} has a malformed data URI") from exc


class _Accessors:
    """Bounds-checked views of accessor data, read chunk by chunk, each accessor once."""

    def __init__(self, doc: dict[str, Any], sources: list[_Source | None], budget: int) -> None:
        self.sources = sources
        self.buffers = objects(doc, "buffers")
        self.views = objects(doc, "bufferViews")
        self.accessors = objects(doc, "accessors")
        self._finite: set[int] = set()
        self._max: dict[int, int] = {}
        for i, view in enumerate(self.views):
            what = f"bufferViews[{i}]"
            buf = index(view.get("buffer"), self.buffers, f"{what}.buffer")
            offset = integer(view.get("byteOffset", 0), f"{what}.byteOffset")
            length = integer(view.get("byteLength"), f"{what}.byteLength", 1)
            if "byteStride" in view:
                stride = integer(view["byteStride"], f"{what}.byteStride", 4)
                if stride > 252:
                    raise ModelInvalid(f"{what}.byteStride {stride} is larger than 252")
            if offset + length > self.buffers[buf]["byteLength"]:
                raise ModelInvalid(f"{what} runs past the end of buffer {buf}")
        total = sum(self._check_accessor(i) for i in range(len(self.accessors)))
        if total > budget:
            raise ModelInvalid(
                f"the accessors describe {total:,} bytes of vertex and animation data; a "
                f"model of this size may describe at most {budget:,}"
            )

    def _layout(self, i: int) -> tuple[np.dtype[Any], int, int]:
        acc = self.accessors[i]
        what = f"accessors[{i}]"
        ctype = acc.get("componentType")
        if ctype not in COMPONENT_DTYPES:
            raise ModelInvalid(f"{what}.componentType {ctype!r} is not valid")
        if acc.get("type") not in TYPE_SIZES:
            raise ModelInvalid(f"{what}.type {acc.get('type')!r} is not valid")
        return np.dtype(COMPONENT_DTYPES[ctype]), TYPE_SIZES[acc["type"]], acc["count"]

    def _check_accessor(self, i: int) -> int:
        """Check accessor ``i``'s reads; return the bytes the renderer would decode."""
        acc = self.accessors[i]
        what = f"accessors[{i}]"
        integer(acc.get("count"), f"{what}.count", 1, MAX_ACCESSOR_COUNT)
        dtype, ncomp, count = self._layout(i)
        elem = dtype.itemsize * ncomp
        if "bufferView" in acc:
            self._check_read(acc, what, elem, count, strided=True)
        if "sparse" not in acc:
            return count * elem
        sparse = acc["sparse"]
        if not isinstance(sparse, dict):
            raise ModelInvalid(f"{what}.sparse must be an object")
        n = integer(sparse.get("count"), f"{what}.sparse.count", 1, count)
        indices, values = sparse.get("indices"), sparse.get("values")
        if not isinstance(indices, dict) or not isinstance(values, dict):
            raise ModelInvalid(f"{what}.sparse needs indices and values")
        if indices.get("componentType") not in SPARSE_INDEX_TYPES:
            raise ModelInvalid(f"{what}.sparse.indices.componentType is not an unsigned type")
        index_size = np.dtype(COMPONENT_DTYPES[indices["componentType"]]).itemsize
        self._check_read(indices, f"{what}.sparse.indices", index_size, n, strided=False)
        self._check_read(values, f"{what}.sparse.values", elem, n, strided=False)
        return count * elem + n * (index_size + elem)

    def _check_read(
        self, ref: dict[str, Any], what: str, elem: int, count: int, *, strided: bool
    ) -> None:
        view = self.views[index(ref.get("bufferView"), self.views, f"{what}.bufferView")]
        offset = integer(ref.get("byteOffset", 0), f"{what}.byteOffset")
        stride = view.get("byteStride", elem) if strided else elem
        if offset + stride * (count - 1) + elem > view["byteLength"]:
            raise ModelInvalid(f"{what} reads past the end of its bufferView")

    def count(self, i: int) -> int:
        return int(self.accessors[i]["count"])

    def check_finite(self, i: int, what: str) -> None:
        """Float data of accessor ``i`` holds no NaN or infinity (checked once)."""
        if i in self._finite or self.accessors[i]["componentType"] != 5126:
            return
        for chunk in self._iter_data(i):
            if not np.isfinite(chunk).all():
                raise ModelInvalid(f"{what} holds NaN or infinite values")
        self._finite.add(i)

    def max_value(self, i: int) -> int:
        if i not in self._max:
            self._max[i] = max((int(c.max()) for c in self._iter_data(i) if c.size), default=0)
        return self._max[i]

    def _iter_data(self, i: int) -> Iterator[np.ndarray]:
        """Every stored element: the dense part, then sparse substitutes (not the zeros)."""
        acc = self.accessors[i]
        dtype, ncomp, count = self._layout(i)
        if "bufferView" in acc:
            yield from self._read(acc, dtype, ncomp, count, strided=True)
        if "sparse" in acc:
            sparse = acc["sparse"]
            yield from self._read(sparse["values"], dtype, ncomp, sparse["count"], strided=False)

    def _read(
        self, ref: dict[str, Any], dtype: np.dtype[Any], ncomp: int, count: int, *, strided: bool
    ) -> Iterator[np.ndarray]:
        elem = dtype.itemsize * ncomp
        view = self.views[ref["bufferView"]]
        if any(ext in view.get("extensions", {}) for ext in COMPRESSED_VIEW_EXT):
            return
        source = self.sources[view["buffer"]]
        if source is None:
            return
        stride = view.get("byteStride", elem) if strided else elem
        base = view.get("byteOffset", 0) + ref.get("byteOffset", 0)
        step = max(1, READ_BYTES // stride)
        for first in range(0, count, step):
            n = min(step, count - first)
            raw = source.read(base + first * stride, stride * (n - 1) + elem)
            padded = np.frombuffer(raw + b"\0" * (stride * n - len(raw)), dtype=np.uint8)
            rows = padded.reshape(n, stride)[:, :elem]
            yield np.ascontiguousarray(rows).view(dtype).reshape(n, ncomp)

    def image_stream(self, view_index: int, what: str) -> AbstractContextManager[BinaryIO]:
        view = self.views[view_index]
        source = self.sources[view["buffer"]]
        if source is None:
            raise ModelInvalid(f"{what} is in a buffer that holds no data")
        return source.open(view.get("byteOffset", 0), view["byteLength"])


def _check_meshes(doc: dict[str, Any], accessors: _Accessors, limits: ModelLimits) -> list[int]:
    """Validate primitives; returns the triangles each mesh draws (as the renderer counts)."""
    meshes = objects(doc, "meshes")
    n_materials = len(objects(doc, "materials"))
    triangles: list[int] = []
    vertices = 0
    for m, mesh in enumerate(meshes):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not prims or not all(isinstance(p, dict) for p in prims):
            raise ModelInvalid(f"meshes[{m}] has no primitives")
        tris = 0
        for p, prim in enumerate(prims):
            what = f"meshes[{m}].primitives[{p}]"
            attrs = prim.get("attributes")
            if not isinstance(attrs, dict) or "POSITION" not in attrs:
                raise ModelInvalid(f"{what} has no POSITION attribute")
            for name, idx in attrs.items():
                index(idx, accessors.accessors, f"{what}.attributes.{name}")
            if "indices" in prim:
                index(prim["indices"], accessors.accessors, f"{what}.indices")
            mode = integer(prim.get("mode", 4), f"{what}.mode", 0, 6)
            if "material" in prim:
                index(prim["material"], [None] * n_materials, f"{what}.material")
            targets = prim.get("targets", [])
            if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
                raise ModelInvalid(f"{what}.targets must be an array of objects")
            if len(targets) > MAX_MORPH_TARGETS:
                raise ModelInvalid(f"{what} has {len(targets)} morph targets (at most 64)")
            n = accessors.count(attrs["POSITION"])
            vertices += n
            count = accessors.count(prim["indices"]) if "indices" in prim else n
            tris += count // 3 if mode == 4 else count
            if COMPRESSED_PRIMITIVE_EXT in prim.get("extensions", {}):
                continue
            _check_vertex_data(what, attrs, targets, prim.get("indices"), n, accessors)
        triangles.append(tris)
    if vertices > limits.max_vertices:
        raise ModelInvalid(
            f"the model has {vertices:,} vertices; the limit is {limits.max_vertices:,}"
        )
    return triangles


def _check_vertex_data(
    what: str,
    attrs: dict[str, Any],
    targets: list[dict[str, Any]],
    indices: int | None,
    n: int,
    accessors: _Accessors,
) -> None:
    accessors.check_finite(attrs["POSITION"], f"{what} POSITION (vertex positions)")
    per_vertex = [(f"attributes.{k}", attrs[k]) for k in VERTEX_ATTRIBUTES if k in attrs]
    for t, target in enumerate(targets):
        for key in ("POSITION", "NORMAL"):
            if key in target:
                idx = index(target[key], accessors.accessors, f"{what}.targets[{t}].{key}")
                per_vertex.append((f"targets[{t}].{key}", idx))
    for name, idx in per_vertex:
        if accessors.count(idx) != n:
            raise ModelInvalid(
                f"{what}.{name} has {accessors.count(idx):,} elements but the primitive has "
                f"{n:,} vertices"
            )
        accessors.check_finite(idx, f"{what}.{name}")
    if indices is not None and accessors.max_value(indices) >= n:
        raise ModelInvalid(
            f"{what} has an index {accessors.max_value(indices)} past its {n} vertices"
        )


def check_document(
    doc: dict[str, Any],
    bin_source: _Source | None,
    resolve: Resolver,
    limits: ModelLimits,
    json_bytes: int,
) -> None:
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise ModelInvalid("not a glTF 2.0 file (asset.version must be 2.x)")
    undrawable = undrawable_required_extensions(doc)
    if undrawable:
        raise ModelInvalid(
            f"the model requires {', '.join(undrawable)}, which meshfarm cannot render"
        )
    sources = _buffer_sources(doc, bin_source, resolve)
    data_bytes = json_bytes + sum(s.length for s in sources if s is not None)
    accessors = _Accessors(doc, sources, limits.accessor_budget(data_bytes))
    check_structure(doc, accessors, limits)
    triangles = _check_meshes(doc, accessors, limits)
    if not triangles:
        raise ModelInvalid("the model has no geometry (no mesh primitives)")
    check_scene_draws(doc)
    drawn = drawn_triangles(doc, triangles)
    if drawn > limits.max_triangles:
        raise ModelInvalid(
            f"the model draws {drawn:,} triangles; the limit is {limits.max_triangles:,}"
        )

    def open_image(image: dict[str, Any], what: str) -> AbstractContextManager[BinaryIO]:
        if "bufferView" in image:
            view = index(image["bufferView"], accessors.views, f"{what}.bufferView")
            return accessors.image_stream(view, what)
        if "uri" in image:
            source = _uri_source(image["uri"], what, resolve)
            return source.open(0, source.length)
        raise ModelInvalid(f"{what} has neither uri nor bufferView")

    check_textures(doc, open_image, limits)


def check_gltf_file(
    path: Path,
    limits: ModelLimits,
    *,
    binary: bool | None = None,
    resolve: Resolver = no_external_files,
) -> None:
    """Validate a GLB (``binary``, default: by suffix) or a .gltf; ``resolve`` finds URIs."""
    if binary if binary is not None else path.suffix.lower() == ".glb":
        doc, bin_source, json_bytes = read_glb(path, limits)
    else:
        json_bytes = path.stat().st_size
        if json_bytes > limits.max_json_bytes:
            raise ModelInvalid("glTF JSON file is too large")
        doc, bin_source = parse_json(path.read_bytes(), limits.max_json_depth), None
    check_document(doc, bin_source, resolve, limits, json_bytes)

"""glTF accessors → numpy arrays, with every bound checked.

Loaders in the wild accept out-of-range views, absurd ``byteLength`` claims and index
buffers pointing past the vertices; here each of those is an
:class:`~renderer.errors.InvalidModel`. Normalized integers (KHR_mesh_quantization,
quantized UVs/colours) become float32 as the spec defines, so the GPU side only ever
sees float attributes. Views compressed with EXT_meshopt_compression (or its KHR_
successor) are decoded here by meshoptimizer's own decoder (the ``meshopt`` binding), so
everything above this module reads them like plain views.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from renderer.errors import InvalidModel, ModelTooLarge
from renderer.gltf_source import GltfSource

COMPONENT_DTYPES: dict[int, np.dtype[Any]] = {
    5120: np.dtype(np.int8),
    5121: np.dtype(np.uint8),
    5122: np.dtype(np.int16),
    5123: np.dtype(np.uint16),
    5125: np.dtype(np.uint32),
    5126: np.dtype(np.float32),
}
MESHOPT_EXTENSIONS = ("EXT_meshopt_compression", "KHR_meshopt_compression")
MESHOPT_MODES = ("ATTRIBUTES", "TRIANGLES", "INDICES")
MESHOPT_FILTERS = ("NONE", "OCTAHEDRAL", "QUATERNION", "EXPONENTIAL", "COLOR")
MAX_DECODED_VIEW_BYTES = 1 << 30
"""A compressed view claiming more than this (a decompression bomb) is refused unread."""
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


class BufferReader:
    """Reads buffers, views and accessors of one document, caching decoded buffers."""

    def __init__(self, source: GltfSource) -> None:
        self.source = source
        self.doc = source.document
        self._buffers: dict[int, bytes] = {}
        self._accessors: dict[int, np.ndarray] = {}
        self._decoded_views: dict[int, bytes] = {}

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            buf = item(self.doc, "buffers", index)
            uri = buf.get("uri")
            if uri is None:
                if self.source.glb_bin is None:
                    raise InvalidModel(f"buffer {index} has no uri and the file has no BIN chunk")
                data = self.source.glb_bin
            else:
                data = self.source.resolve(uri)
            length = buf.get("byteLength")
            if not isinstance(length, int) or length < 0 or length > len(data):
                raise InvalidModel(
                    f"buffer {index} claims byteLength {length!r} but holds {len(data)} bytes"
                )
            self._buffers[index] = data[:length]
        return self._buffers[index]

    def view_bytes(self, index: int) -> tuple[memoryview, int | None]:
        """The bytes of bufferView ``index`` and its byteStride (None when packed)."""
        view = item(self.doc, "bufferViews", index)
        stride = view.get("byteStride")
        compressed = _meshopt_extension(view)
        if compressed is not None:
            if index not in self._decoded_views:
                self._decoded_views[index] = self._decode_meshopt(index, view, compressed)
            return memoryview(self._decoded_views[index]), stride
        data = self.buffer(int_field(view, "buffer"))
        offset = view.get("byteOffset", 0)
        length = view.get("byteLength")
        if not (isinstance(offset, int) and isinstance(length, int)) or offset < 0 or length < 0:
            raise InvalidModel(f"bufferView {index} has an invalid offset or length")
        if offset + length > len(data):
            raise InvalidModel(f"bufferView {index} runs past the end of its buffer")
        return memoryview(data)[offset : offset + length], stride

    def _decode_meshopt(self, index: int, view: dict[str, Any], ext: dict[str, Any]) -> bytes:
        import meshopt  # optional codec: imported only for meshopt files

        data = self.buffer(int_field(ext, "buffer"))
        offset, length = ext.get("byteOffset", 0), int_field(ext, "byteLength")
        count, stride = int_field(ext, "count"), int_field(ext, "byteStride")
        mode, filt = ext.get("mode"), ext.get("filter", "NONE")
        if not isinstance(offset, int) or offset < 0 or offset + length > len(data):
            raise InvalidModel(f"bufferView {index}'s compressed data runs past its buffer")
        if count * stride > MAX_DECODED_VIEW_BYTES:
            raise ModelTooLarge(f"bufferView {index} decompresses to {count * stride} bytes")
        if mode not in MESHOPT_MODES or filt not in MESHOPT_FILTERS:
            raise InvalidModel(f"bufferView {index} has meshopt mode {mode!r} / filter {filt!r}")
        try:
            decoded = meshopt.decode_gltf_buffer(
                data[offset : offset + length], count, stride, mode, filt
            )
        except (ValueError, RuntimeError) as exc:
            raise InvalidModel(f"bufferView {index} cannot be decompressed: {exc}") from None
        out = np.ascontiguousarray(decoded).tobytes()
        if len(out) < view.get("byteLength", 0):
            raise InvalidModel(f"bufferView {index} decompresses to fewer bytes than it claims")
        return out

    def accessor(self, index: int) -> np.ndarray:
        """Accessor ``index`` as an array of shape (count, components) or (count,).

        Integer data keeps its dtype unless ``normalized``, which maps it to 0..1 / -1..1.
        """
        if index not in self._accessors:
            self._accessors[index] = self._read_accessor(index)
        return self._accessors[index]

    def float_accessor(self, index: int) -> np.ndarray:
        return np.ascontiguousarray(self.accessor(index), dtype=np.float32)

    def _read_accessor(self, index: int) -> np.ndarray:
        acc = item(self.doc, "accessors", index)
        ctype = acc.get("componentType")
        if ctype not in COMPONENT_DTYPES:
            raise InvalidModel(f"accessor {index} has unknown componentType {ctype!r}")
        if acc.get("type") not in TYPE_SIZES:
            raise InvalidModel(f"accessor {index} has unknown type {acc.get('type')!r}")
        dtype = COMPONENT_DTYPES[ctype]
        ncomp = TYPE_SIZES[acc["type"]]
        count = acc.get("count")
        if not isinstance(count, int) or count < 0 or count > 100_000_000:
            raise InvalidModel(f"accessor {index} has an invalid count {count!r}")
        if "bufferView" in acc:
            out = self._dense(index, acc, dtype, ncomp, count)
        else:
            out = np.zeros((count, ncomp), dtype=dtype)
        if "sparse" in acc:
            out = self._apply_sparse(index, acc["sparse"], out, dtype, ncomp)
        if acc.get("normalized") and dtype.kind in "iu":
            out = _normalize(out, dtype)
        return out if ncomp > 1 else out.reshape(count)

    def _dense(
        self, index: int, acc: dict[str, Any], dtype: np.dtype[Any], ncomp: int, count: int
    ) -> np.ndarray:
        data, stride = self.view_bytes(int_field(acc, "bufferView"))
        offset = acc.get("byteOffset", 0)
        elem = dtype.itemsize * ncomp
        # Matrices of 1-byte/2-byte components have column padding; rare enough to refuse.
        if acc["type"] in ("MAT2", "MAT3") and dtype.itemsize < 4:
            raise InvalidModel(f"accessor {index}: padded small-component matrices unsupported")
        step = stride or elem
        if not isinstance(offset, int) or offset < 0 or step < elem:
            raise InvalidModel(f"accessor {index} has an invalid byteOffset or byteStride")
        needed = offset + (step * (count - 1) + elem if count else 0)
        if needed > len(data):
            raise InvalidModel(f"accessor {index} reads past the end of its bufferView")
        if count == 0:
            return np.zeros((0, ncomp), dtype=dtype)
        raw = np.frombuffer(data, dtype=np.uint8, count=needed - offset, offset=offset)
        if step == elem:
            return raw.view(dtype).reshape(count, ncomp).copy()
        padded = np.zeros(step * count, dtype=np.uint8)
        padded[: len(raw)] = raw
        rows = padded.reshape(count, step)[:, :elem]
        return np.ascontiguousarray(rows).view(dtype).reshape(count, ncomp)

    def _apply_sparse(
        self, index: int, sparse: dict[str, Any], out: np.ndarray, dtype: np.dtype[Any], ncomp: int
    ) -> np.ndarray:
        n = sparse.get("count", 0)
        idx_info, val_info = sparse.get("indices", {}), sparse.get("values", {})
        idx_dtype = COMPONENT_DTYPES.get(idx_info.get("componentType", -1))
        if idx_dtype is None or idx_dtype.kind != "u" or not isinstance(n, int) or n < 1:
            raise InvalidModel(f"accessor {index} has an invalid sparse section")
        idx = self._sparse_array(idx_info, idx_dtype, 1, n).reshape(n).astype(np.int64)
        vals = self._sparse_array(val_info, dtype, ncomp, n)
        if idx.size and (idx.max() >= len(out)):
            raise InvalidModel(f"accessor {index} has sparse indices out of range")
        out = out.copy()
        out[idx] = vals
        return out

    def _sparse_array(
        self, info: dict[str, Any], dtype: np.dtype[Any], ncomp: int, n: int
    ) -> np.ndarray:
        data, _ = self.view_bytes(int_field(info, "bufferView"))
        offset = info.get("byteOffset", 0)
        size = dtype.itemsize * ncomp * n
        if offset + size > len(data):
            raise InvalidModel("a sparse accessor reads past the end of its bufferView")
        return np.frombuffer(data, dtype=dtype, count=ncomp * n, offset=offset).reshape(n, ncomp)


def _meshopt_extension(view: dict[str, Any]) -> dict[str, Any] | None:
    extensions = view.get("extensions", {})
    for name in MESHOPT_EXTENSIONS:
        if isinstance(extensions.get(name), dict):
            return extensions[name]
    return None


def _normalize(values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    info = np.iinfo(dtype)
    scaled = values.astype(np.float32) / np.float32(info.max)
    return np.maximum(scaled, -1.0) if info.min < 0 else scaled


def item(doc: dict[str, Any], key: str, index: int) -> dict[str, Any]:
    """``doc[key][index]`` as an object, or InvalidModel when the reference dangles."""
    items = doc.get(key)
    if not isinstance(items, list) or not isinstance(index, int) or not 0 <= index < len(items):
        raise InvalidModel(f"reference to {key}[{index}] is out of range")
    item = items[index]
    if not isinstance(item, dict):
        raise InvalidModel(f"{key}[{index}] is not an object")
    return item


def int_field(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidModel(f"missing or invalid {key!r}")
    return value


def json_tuple(values: Any, n: int) -> Any:
    """A length-``n`` tuple of floats (typed Any: callers know which length they asked)."""
    arr = json_vector(values, n, "a factor")
    return tuple(float(v) for v in arr)


def json_vector(values: Any, n: int, label: str) -> np.ndarray:
    """A JSON number array of length ``n`` with finite values, or InvalidModel."""
    arr = np.array(values, dtype=np.float64).reshape(-1)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise InvalidModel(f"{label} has an invalid vector {values!r}")
    return arr

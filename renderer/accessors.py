"""glTF accessors → numpy arrays.

Where each buffer, view and accessor's elements lie was checked by the asset reader
(:mod:`exchange.gltf`, :mod:`exchange.accessors`) by the rules of the upload check; here
the values are read. Normalized integers (KHR_mesh_quantization, quantized UVs/colours)
become float32 as the spec defines, so the GPU side only ever sees float attributes.
Views compressed with EXT_meshopt_compression (or its KHR_ successor) are decoded here by
meshoptimizer's own decoder (the ``meshopt`` binding), so everything above this module
reads them like plain views.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from exchange.accessors import Layout, Read, accessor_layouts
from exchange.gltf import GltfContainer
from exchange.limits import AssetLimits
from renderer.errors import InvalidModel, ModelTooLarge

MESHOPT_EXTENSIONS = ("EXT_meshopt_compression", "KHR_meshopt_compression")
MESHOPT_MODES = ("ATTRIBUTES", "TRIANGLES", "INDICES")
MESHOPT_FILTERS = ("NONE", "OCTAHEDRAL", "QUATERNION", "EXPONENTIAL", "COLOR")
MAX_DECODED_VIEW_BYTES = 1 << 30
"""A compressed view claiming more than this (a decompression bomb) is refused unread."""


class BufferReader:
    """Reads buffers, views and accessors of one document, caching decoded buffers.

    Where buffers and views lie and how accessors are laid out was checked by the asset
    reader (:mod:`exchange.gltf`, :mod:`exchange.accessors`) as at upload; what is left
    here is reading the values (and meshopt decoding).
    """

    def __init__(self, container: GltfContainer, limits: AssetLimits) -> None:
        self.container = container
        self.doc = container.document
        self.limits = limits
        self._buffers: dict[int, bytes] = {}
        self._accessors: dict[int, np.ndarray] = {}
        self._decoded_views: dict[int, bytes] = {}

    @cached_property
    def layouts(self) -> list[Layout]:
        """Every accessor's layout, checked (with the model's accessor budget) on the first
        read: the loader refuses a model by its declared sizes before that."""
        return accessor_layouts(self.container, self.limits)

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            length = item(self.doc, "buffers", index)["byteLength"]
            data = self.container.buffers[index]
            if data is None:
                raise InvalidModel(f"buffer {index} holds no data (a meshopt fallback buffer)")
            self._buffers[index] = data.read(0, length)
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
        data = self.buffer(view["buffer"])
        offset = view.get("byteOffset", 0)
        return memoryview(data)[offset : offset + view["byteLength"]], stride

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
        layout = self.layouts[index]
        dtype, ncomp, count = layout.dtype, layout.components, layout.count
        if layout.dense is not None:
            out = self._values(layout.dense, dtype, ncomp)
        else:
            out = np.zeros((count, ncomp), dtype=dtype)
        if layout.sparse_indices is not None and layout.sparse_values is not None:
            out = self._apply_sparse(index, layout, out)
        if acc.get("normalized") and dtype.kind in "iu":
            out = _normalize(out, dtype)
        return out if ncomp > 1 else out.reshape(count)

    def _values(self, read: Read, dtype: np.dtype[Any], ncomp: int) -> np.ndarray:
        """The ``read.count`` elements of ``read`` as a (count, ncomp) array."""
        data, _ = self.view_bytes(read.view)
        step, elem, count = read.stride, read.elem, read.count
        needed = step * (count - 1) + elem
        if read.offset + needed > len(data):  # a meshopt view decoded shorter than declared
            raise InvalidModel(f"bufferView {read.view} holds fewer bytes than an accessor reads")
        raw = np.frombuffer(data, dtype=np.uint8, count=needed, offset=read.offset)
        if step == elem:
            return raw.view(dtype).reshape(count, ncomp).copy()
        padded = np.zeros(step * count, dtype=np.uint8)
        padded[: len(raw)] = raw
        rows = padded.reshape(count, step)[:, :elem]
        return np.ascontiguousarray(rows).view(dtype).reshape(count, ncomp)

    def _apply_sparse(self, index: int, layout: Layout, out: np.ndarray) -> np.ndarray:
        assert layout.sparse_indices is not None and layout.sparse_values is not None
        assert layout.sparse_index_dtype is not None
        n = layout.sparse_indices.count
        idx = self._values(layout.sparse_indices, layout.sparse_index_dtype, 1)
        idx = idx.reshape(n).astype(np.int64)
        vals = self._values(layout.sparse_values, layout.dtype, layout.components)
        if idx.size and (idx.max() >= len(out)):
            raise InvalidModel(f"accessor {index} has sparse indices out of range")
        out = out.copy()
        out[idx] = vals
        return out


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

"""glTF accessors → numpy arrays.

Where each accessor's elements lie was checked by the asset reader
(:mod:`exchange.accessors`) by the rules of the upload check, and what the values must hold
(finite floats, indices inside their vertices, sparse indices inside their accessor) by
:func:`exchange.model_check.check_model`; here the values are read. Normalized integers
(KHR_mesh_quantization, quantized UVs/colours) become float32 as the spec defines, so the
GPU side only ever sees float attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exchange.accessors import Layout, Read
from renderer.gltf_views import ViewReader


class BufferReader:
    """Reads the accessors of one document by their checked layouts, caching each."""

    def __init__(self, views: ViewReader, layouts: list[Layout]) -> None:
        self.views = views
        self.doc = views.doc
        self.layouts = layouts
        self._accessors: dict[int, np.ndarray] = {}

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
        layout = self.layouts[index]
        dtype, ncomp, count = layout.dtype, layout.components, layout.count
        if layout.dense is not None:
            out = self._values(layout.dense, dtype, ncomp)
        else:
            out = np.zeros((count, ncomp), dtype=dtype)
        if layout.sparse_indices is not None and layout.sparse_values is not None:
            assert layout.sparse_index_dtype is not None
            n = layout.sparse_indices.count
            idx = self._values(layout.sparse_indices, layout.sparse_index_dtype, 1)
            out = out.copy()
            out[idx.reshape(n).astype(np.int64)] = self._values(layout.sparse_values, dtype, ncomp)
        if self.doc["accessors"][index].get("normalized") and dtype.kind in "iu":
            out = normalize_ints(out)
        return out if ncomp > 1 else out.reshape(count)

    def _values(self, read: Read, dtype: np.dtype[Any], ncomp: int) -> np.ndarray:
        """The ``read.count`` elements of ``read`` as a (count, ncomp) array."""
        data, _ = self.views.view_bytes(read.view)
        step, elem, count = read.stride, read.elem, read.count
        needed = step * (count - 1) + elem
        raw = np.frombuffer(data, dtype=np.uint8, count=needed, offset=read.offset)
        if step == elem:
            return raw.view(dtype).reshape(count, ncomp).copy()
        padded = np.zeros(step * count, dtype=np.uint8)
        padded[: len(raw)] = raw
        rows = padded.reshape(count, step)[:, :elem]
        return np.ascontiguousarray(rows).view(dtype).reshape(count, ncomp)


def normalize_ints(values: np.ndarray) -> np.ndarray:
    """Normalized integers as the floats they stand for (0..1, or -1..1 when signed)."""
    if values.dtype.kind not in "iu":
        return values
    info = np.iinfo(values.dtype)
    scaled = values.astype(np.float32) / np.float32(info.max)
    return np.maximum(scaled, -1.0) if info.min < 0 else scaled


def json_vector(values: Any) -> np.ndarray:
    """A JSON number array (of a checked document) as float64."""
    return np.array(values, dtype=np.float64)


def json_tuple(values: Any) -> Any:
    """A JSON number array (of a checked document) as a tuple of floats (typed Any:
    callers know which length it has)."""
    return tuple(float(v) for v in values)

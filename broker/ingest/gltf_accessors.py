"""A model's accessor data at upload: values read in bounded chunks, each accessor once —
a 100 MB GLB never sits in the API process's memory.

Where the elements lie and what they cost (zero-filled and sparse accessors included) is
known from the declarations before anything is decoded: :mod:`exchange.accessors`, which
the renderer reads by too. Values are read only where a rule needs them: finite floats,
the largest index, sparse indices inside their accessor.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from broker.ingest.errors import ModelInvalid
from exchange.accessors import Layout, Read, accessor_layouts
from exchange.gltf import GltfContainer
from exchange.json_fields import objects
from exchange.limits import AssetLimits

READ_BYTES = 4 * 1024 * 1024
# Data of these is compressed in the buffer and checked by the decoder at render time.
COMPRESSED_VIEW_EXT = ("EXT_meshopt_compression", "KHR_meshopt_compression")


class Accessors:
    """Bounds-checked accessor data, read chunk by chunk, each accessor once."""

    def __init__(self, container: GltfContainer, limits: AssetLimits) -> None:
        doc = container.document
        self.container = container
        self.views = objects(doc, "bufferViews")
        self.accessors = objects(doc, "accessors")
        self.layouts = accessor_layouts(container, limits)
        self._finite: set[int] = set()
        self._max: dict[int, int] = {}
        for i, layout in enumerate(self.layouts):
            if layout.sparse_indices is not None and layout.sparse_index_dtype is not None:
                chunks = self._read(layout.sparse_indices, layout.sparse_index_dtype, 1)
                if max((int(c.max()) for c in chunks if c.size), default=0) >= layout.count:
                    raise ModelInvalid(f"accessors[{i}].sparse.indices point past its elements")

    def count(self, i: int) -> int:
        return self.layouts[i].count

    def check_finite(self, i: int, what: str) -> None:
        """Float data of accessor ``i`` holds no NaN or infinity (checked once)."""
        if i in self._finite or self.layouts[i].dtype != np.float32:
            return
        for chunk in self._iter_data(self.layouts[i]):
            if not np.isfinite(chunk).all():
                raise ModelInvalid(f"{what} holds NaN or infinite values")
        self._finite.add(i)

    def max_value(self, i: int) -> int:
        if i not in self._max:
            chunks = self._iter_data(self.layouts[i])
            self._max[i] = max((int(c.max()) for c in chunks if c.size), default=0)
        return self._max[i]

    def _iter_data(self, layout: Layout) -> Iterator[np.ndarray]:
        """Every stored element: the dense part, then sparse substitutes (not the zeros)."""
        for read in (layout.dense, layout.sparse_values):
            if read is not None:
                yield from self._read(read, layout.dtype, layout.components)

    def _read(self, read: Read, dtype: np.dtype, ncomp: int) -> Iterator[np.ndarray]:
        view = self.views[read.view]
        if any(ext in view.get("extensions", {}) for ext in COMPRESSED_VIEW_EXT):
            return
        source = self.container.view_blob(read.view)
        if source is None:
            return
        stride, elem = read.stride, read.elem
        step = max(1, READ_BYTES // stride)
        for first in range(0, read.count, step):
            n = min(step, read.count - first)
            raw = source.read(read.offset + first * stride, stride * (n - 1) + elem)
            padded = np.frombuffer(raw + b"\0" * (stride * n - len(raw)), dtype=np.uint8)
            rows = padded.reshape(n, stride)[:, :elem]
            yield np.ascontiguousarray(rows).view(dtype).reshape(n, ncomp)

"""A model's accessor values, read for the rules that need them: in bounded chunks, each
accessor once — a 100 MB GLB never sits in the API process's memory.

Where the elements lie and what they cost (zero-filled and sparse accessors included) is
known from the declarations before anything is read (:mod:`exchange.accessors`). Values are
read only where a rule needs them: finite floats, the largest index, sparse indices inside
their accessor. Where a view's bytes come from is the caller's: at upload, the stored bytes,
and a view compressed with meshopt is not read (only the renderer decodes it); the renderer
hands its decoded views, so the same rules hold for the data it draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from exchange.accessors import Layout, Read, accessor_layouts
from exchange.blobs import Blob
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.gltf import GltfContainer
from exchange.json_fields import objects
from exchange.limits import AssetLimits
from exchange.meshopt import compression

READ_BYTES = 4 * 1024 * 1024

ViewBlobs = Callable[[int], Blob | None]
"""bufferViews[i] → its bytes, or None where they are not readable here."""


def stored_views(container: GltfContainer) -> ViewBlobs:
    """The views' bytes as the file stores them; compressed views are not read."""
    views = objects(container.document, "bufferViews")

    def blob(v: int) -> Blob | None:
        compressed = compression(views[v], f"bufferViews[{v}]") is not None
        return None if compressed else container.view_blob(v)

    return blob


class AccessorData:
    """The accessors' layouts (checked against the model's budget) and, on demand, what
    their values hold."""

    def __init__(
        self, container: GltfContainer, limits: AssetLimits, views: ViewBlobs | None = None
    ) -> None:
        self.accessors = objects(container.document, "accessors")
        self.layouts = accessor_layouts(container, limits)
        self._views = views or stored_views(container)
        self._finite: set[int] = set()
        self._max: dict[int, int] = {}

    def count(self, i: int) -> int:
        return self.layouts[i].count

    def kind(self, i: int) -> Any:
        """accessors[``i``].type (``"VEC3"``…; checked by the layout)."""
        return self.accessors[i]["type"]

    def check_sparse_indices(self) -> None:
        """Every sparse substitute lands on an element of its accessor."""
        for i, layout in enumerate(self.layouts):
            if layout.sparse_indices is not None and layout.sparse_index_dtype is not None:
                chunks = self._read(layout.sparse_indices, layout.sparse_index_dtype, 1)
                if max((int(c.max()) for c in chunks if c.size), default=0) >= layout.count:
                    raise AssetInvalid(f"accessors[{i}].sparse.indices point past its elements")

    def check_finite(self, i: int, what: str) -> None:
        """Float data of accessor ``i`` holds no NaN or infinity (checked once)."""
        if i in self._finite or self.layouts[i].dtype != np.float32:
            return
        for chunk in self._iter_data(self.layouts[i]):
            if not np.isfinite(chunk).all():
                raise AssetInvalid(f"{what} holds NaN or infinite values")
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

    def _read(self, read: Read, dtype: np.dtype[Any], ncomp: int) -> Iterator[np.ndarray]:
        source = self._views(read.view)
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


def accessor_values(data: AccessorData, i: int) -> np.ndarray:
    """Accessor ``i`` whole, as (count, components): zeros or the dense part, sparse
    substitutes applied, normalized integers as the floats they stand for (for readers that
    need every value, such as the converter; the renderer reads its decoded views)."""
    layout = data.layouts[i]
    out = np.zeros((layout.count, layout.components), dtype=layout.dtype)
    if layout.dense is not None:
        chunks = list(data._read(layout.dense, layout.dtype, layout.components))
        if not chunks:
            raise AssetUnsupported(f"accessors[{i}] is in a compressed view (not decoded here)")
        out = np.concatenate(chunks)
    if layout.sparse_indices is not None and layout.sparse_values is not None:
        assert layout.sparse_index_dtype is not None
        idx = np.concatenate(list(data._read(layout.sparse_indices, layout.sparse_index_dtype, 1)))
        vals = np.concatenate(
            list(data._read(layout.sparse_values, layout.dtype, layout.components))
        )
        out[idx.reshape(-1).astype(np.int64)] = vals
    if data.accessors[i].get("normalized") and out.dtype.kind in "iu":
        info = np.iinfo(out.dtype)
        scaled = out.astype(np.float32) / np.float32(info.max)
        return np.maximum(scaled, -1.0) if info.min < 0 else scaled
    return out

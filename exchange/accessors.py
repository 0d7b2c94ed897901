"""Where an accessor's elements lie, checked from the declarations before a byte is read.

The upload check (which reads values in bounded chunks) and the renderer (which reads
them whole) take the accessors' layouts from :func:`accessor_layouts`, so they refuse the
same declarations: accessors describing more bytes than the model's accessor budget
(a 500-byte GLB may not declare 1.6 GB of zeros; docs/api.md, "Model limits"),
an unknown component type or type, a count outside ``1..max_accessor_count``, a matrix of
1- or 2-byte components (its columns are padded; rare enough to refuse), a stride smaller
than one element, a read past the end of its bufferView, a sparse section that is not an
object, counts more substitutes than elements or has signed indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.gltf import GltfContainer
from exchange.json_fields import index, integer, objects
from exchange.limits import AssetLimits

COMPONENT_DTYPES: dict[int, np.dtype[Any]] = {
    5120: np.dtype(np.int8),
    5121: np.dtype(np.uint8),
    5122: np.dtype(np.int16),
    5123: np.dtype(np.uint16),
    5125: np.dtype(np.uint32),
    5126: np.dtype(np.float32),
}
SPARSE_INDEX_TYPES = (5121, 5123, 5125)
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


@dataclass(frozen=True)
class Read:
    """``count`` elements of ``elem`` bytes, ``stride`` apart, from ``offset`` of a view."""

    view: int
    offset: int
    stride: int
    count: int
    elem: int


@dataclass(frozen=True)
class Layout:
    dtype: np.dtype[Any]
    components: int
    count: int
    dense: Read | None
    """None: the accessor is zeros (plus its sparse substitutes)."""
    sparse_indices: Read | None = None
    sparse_index_dtype: np.dtype[Any] | None = None
    sparse_values: Read | None = None

    @property
    def elem(self) -> int:
        return self.dtype.itemsize * self.components

    @property
    def decoded_bytes(self) -> int:
        """What reading it costs: every element, plus the sparse indices and values."""
        extra = 0
        if self.sparse_indices is not None and self.sparse_values is not None:
            n = self.sparse_indices.count
            extra = n * (self.sparse_indices.elem + self.sparse_values.elem)
        return self.count * self.elem + extra


def accessor_layouts(container: GltfContainer, limits: AssetLimits) -> list[Layout]:
    """Every accessor's layout; what reading them all costs is held to the budget of a
    model of this file's size."""
    doc = container.document
    layouts = [_layout(doc, i, limits) for i in range(len(objects(doc, "accessors")))]
    budget = limits.accessor_budget(container.data_bytes)
    total = sum(layout.decoded_bytes for layout in layouts)
    if total > budget:
        raise AssetTooLarge(
            f"the accessors describe {total:,} bytes of vertex and animation data; a "
            f"model of this size may describe at most {budget:,}"
        )
    return layouts


def declared_count(doc: dict[str, Any], i: int, limits: AssetLimits) -> int:
    """accessors[``i``]'s element count, from the JSON alone (what size limits are judged
    by before any layout is checked)."""
    what = f"accessors[{i}].count"
    return integer(doc["accessors"][i].get("count"), what, 1, limits.max_accessor_count)


def _layout(doc: dict[str, Any], i: int, limits: AssetLimits) -> Layout:
    acc = doc["accessors"][i]
    what = f"accessors[{i}]"
    ctype = acc.get("componentType")
    if ctype not in COMPONENT_DTYPES:
        raise AssetInvalid(f"{what}.componentType {ctype!r} is not valid")
    kind = acc.get("type")
    if kind not in TYPE_SIZES:
        raise AssetInvalid(f"{what}.type {kind!r} is not valid")
    dtype, ncomp = COMPONENT_DTYPES[ctype], TYPE_SIZES[kind]
    if kind in ("MAT2", "MAT3") and dtype.itemsize < 4:
        raise AssetInvalid(f"{what} is a {kind} of {dtype.itemsize}-byte components (unsupported)")
    count = declared_count(doc, i, limits)
    elem = dtype.itemsize * ncomp
    views = objects(doc, "bufferViews")
    dense = _read(acc, views, what, elem, count, strided=True) if "bufferView" in acc else None
    if "sparse" not in acc:
        return Layout(dtype, ncomp, count, dense)
    sparse = acc["sparse"]
    if not isinstance(sparse, dict):
        raise AssetInvalid(f"{what}.sparse must be an object")
    n = integer(sparse.get("count"), f"{what}.sparse.count", 1, count)
    indices, values = sparse.get("indices"), sparse.get("values")
    if not isinstance(indices, dict) or not isinstance(values, dict):
        raise AssetInvalid(f"{what}.sparse needs indices and values")
    if indices.get("componentType") not in SPARSE_INDEX_TYPES:
        raise AssetInvalid(f"{what}.sparse.indices.componentType is not an unsigned type")
    index_dtype = COMPONENT_DTYPES[indices["componentType"]]
    return Layout(
        dtype,
        ncomp,
        count,
        dense,
        _read(indices, views, f"{what}.sparse.indices", index_dtype.itemsize, n, strided=False),
        index_dtype,
        _read(values, views, f"{what}.sparse.values", elem, n, strided=False),
    )


def _read(
    ref: dict[str, Any], views: list[Any], what: str, elem: int, count: int, *, strided: bool
) -> Read:
    v = index(ref.get("bufferView"), views, f"{what}.bufferView")
    view = views[v]
    offset = integer(ref.get("byteOffset", 0), f"{what}.byteOffset")
    stride = view.get("byteStride", elem) if strided else elem
    if stride < elem:
        raise AssetInvalid(f"{what}: its bufferView's byteStride {stride} is less than {elem}")
    if offset + stride * (count - 1) + elem > view["byteLength"]:
        raise AssetInvalid(f"{what} reads past the end of its bufferView")
    return Read(v, offset, stride, count, elem)

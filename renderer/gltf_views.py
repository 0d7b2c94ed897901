"""A glTF's buffers and bufferViews as bytes, meshopt-compressed views decoded.

Where each buffer and view lies, and what a compressed view declares, was checked by the
asset reader (:mod:`exchange.gltf`, :mod:`exchange.meshopt`) as at upload. Buffers are read
whole, once; views compressed with EXT_meshopt_compression (or its KHR_ successor) are
decoded by meshoptimizer's own decoder (the ``meshopt`` binding), once, so everything
above this module — the accessor reader and the value checks of
:func:`exchange.model_check.check_model` — reads them like plain views.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exchange.blobs import Blob
from exchange.gltf import GltfContainer
from exchange.meshopt import compression
from renderer.errors import InvalidModel


class ViewReader:
    def __init__(self, container: GltfContainer) -> None:
        self.container = container
        self.doc = container.document
        self._buffers: dict[int, bytes] = {}
        self._decoded: dict[int, bytes] = {}

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            data = self.container.buffers[index]
            assert data is not None  # only compressed views lie in fallback buffers
            self._buffers[index] = data.read(0, self.doc["buffers"][index]["byteLength"])
        return self._buffers[index]

    def view_bytes(self, index: int) -> tuple[memoryview, int | None]:
        """The bytes of bufferView ``index`` and its byteStride (None when packed)."""
        view = self.doc["bufferViews"][index]
        ext = compression(view, f"bufferViews[{index}]")
        if ext is not None:
            if index not in self._decoded:
                self._decoded[index] = self._decode(index, ext)
            return memoryview(self._decoded[index]), view.get("byteStride")
        offset = view.get("byteOffset", 0)
        data = memoryview(self.buffer(view["buffer"]))
        return data[offset : offset + view["byteLength"]], view.get("byteStride")

    def view_blob(self, index: int) -> Blob:
        """bufferView ``index``'s (decoded) bytes, as the model checks read them."""
        view = self.doc["bufferViews"][index]
        if compression(view, f"bufferViews[{index}]") is not None:
            self.view_bytes(index)
            return Blob.of_bytes(self._decoded[index])
        whole = Blob.of_bytes(self.buffer(view["buffer"]))
        return whole.window(view.get("byteOffset", 0), view["byteLength"])

    def _decode(self, index: int, ext: dict[str, Any]) -> bytes:
        import meshopt  # optional codec: imported only for meshopt files

        data, offset = self.buffer(ext["buffer"]), ext.get("byteOffset", 0)
        try:
            decoded = meshopt.decode_gltf_buffer(
                data[offset : offset + ext["byteLength"]],
                ext["count"],
                ext["byteStride"],
                ext["mode"],
                ext.get("filter", "NONE"),
            )
        except (ValueError, RuntimeError) as exc:
            raise InvalidModel(f"bufferView {index} cannot be decompressed: {exc}") from None
        return np.ascontiguousarray(decoded).tobytes()

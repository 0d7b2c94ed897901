"""Draco (KHR_draco_mesh_compression) and meshopt (EXT_/KHR_meshopt_compression) data,
decoded for the converter.

The renderer has its own decoders (``renderer.gltf_views``, ``renderer.gltf_meshes``), but
this package sits below the renderer and cannot import them; the same two codecs
(meshoptimizer's ``meshopt`` binding, Google's ``DracoPy``) are called the same way here.

meshopt views are decoded when :func:`exchange.model_check.check_model` first reads them
(after :func:`exchange.meshopt.check_compressed_views` has bounded what they decode to), so
the upload check's value rules hold for the decoded bytes. A Draco primitive's data only
its decoder can read: what it decodes to is held to the declared accessor counts (which
the model's limits were checked against) and to the rules stored data is held to — widths,
finite values, indices inside the vertices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exchange.blobs import Blob
from exchange.errors import AssetInvalid
from exchange.gltf import GltfContainer
from exchange.meshopt import compression

WIDTHS = {"POSITION": 3, "NORMAL": 3, "TEXCOORD_0": 2}
"""The Draco attributes the converter keeps, with the width each must decode to."""


class DecodedViews:
    """bufferViews as :data:`exchange.accessor_data.ViewBlobs`: stored bytes, or the
    decoded bytes of a meshopt-compressed view (each decoded once)."""

    def __init__(self, container: GltfContainer) -> None:
        self.container = container
        self._decoded: dict[int, Blob] = {}

    def __call__(self, index: int) -> Blob | None:
        view = self.container.document["bufferViews"][index]
        ext = compression(view, f"bufferViews[{index}]")
        if ext is None:
            return self.container.view_blob(index)
        if index not in self._decoded:
            self._decoded[index] = Blob.of_bytes(self._decode(index, ext))
        return self._decoded[index]

    def stored(self, index: int) -> bytes:
        """bufferViews[``index``]'s bytes as stored (a Draco bitstream is not meshopt)."""
        blob = self.container.view_blob(index)
        if blob is None:
            raise AssetInvalid(f"bufferViews[{index}] holds no data")
        return blob.read()

    def _decode(self, index: int, ext: dict[str, Any]) -> bytes:
        import meshopt  # optional codec: imported only for meshopt files

        source = self.container.buffers[ext["buffer"]]
        assert source is not None  # check_compressed_views: the data lies in a real buffer
        packed = source.read(ext.get("byteOffset", 0), ext["byteLength"])
        try:
            decoded = meshopt.decode_gltf_buffer(
                packed, ext["count"], ext["byteStride"], ext["mode"], ext.get("filter", "NONE")
            )
        except (ValueError, RuntimeError) as exc:
            raise AssetInvalid(f"bufferViews[{index}] cannot be decompressed: {exc}") from None
        return np.ascontiguousarray(decoded).tobytes()


def draco_primitive(
    doc: dict[str, Any], p: dict[str, Any], data: bytes, what: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A Draco primitive's float32 POSITION/NORMAL/TEXCOORD_0 and its (m, 3) uint32
    triangles, checked against the accessors the primitive declares."""
    import DracoPy  # heavy optional codec: imported only for Draco files

    draco = p["extensions"]["KHR_draco_mesh_compression"]
    try:
        decoded = DracoPy.decode(data)
    except Exception:  # DracoPy raises its own untyped errors
        raise AssetInvalid(f"{what}: the Draco-compressed mesh cannot be decoded") from None
    accessors = doc["accessors"]
    n = int(accessors[p["attributes"]["POSITION"]]["count"])
    attrs: dict[str, np.ndarray] = {}
    for name, width in WIDTHS.items():
        if name not in draco["attributes"] or name not in p["attributes"]:
            continue
        attr = decoded.get_attribute_by_unique_id(draco["attributes"][name])
        if attr is None:
            raise AssetInvalid(f"{what}: Draco attribute {name} is missing")
        values = np.asarray(attr["data"])
        if accessors[p["attributes"][name]].get("normalized") and values.dtype.kind in "iu":
            info = np.iinfo(values.dtype)
            values = np.maximum(values.astype(np.float32) / np.float32(info.max), -1.0)
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(len(values), -1)
        if values.shape != (n, width):
            raise AssetInvalid(f"{what}: Draco {name} does not match its accessor")
        if not np.isfinite(values).all():
            raise AssetInvalid(f"{what}: Draco {name} holds NaN or infinite values")
        attrs[name] = values
    if "POSITION" not in attrs:
        raise AssetInvalid(f"{what}: the Draco data holds no POSITION")
    faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1, 3)
    declared = accessors[p["indices"]]["count"] if "indices" in p else faces.size
    if faces.size != declared:
        raise AssetInvalid(f"{what}: the Draco data holds another number of indices")
    if faces.size and (faces.min() < 0 or faces.max() >= n):
        raise AssetInvalid(f"{what} has indices pointing past its {n:,} vertices")
    return attrs, faces.astype(np.uint32)

"""What one model may cost, in one value the upload check and the loader share.

The defaults are those of :class:`workers.config.Settings` (``MESHFARM_*``; docs/api.md,
"Model limits"), and :meth:`AssetLimits.from_settings` reads them from there, so a model
the upload accepted is one the renderer loads. The fields without a setting are fixed by
what the renderer can draw (joints, morph targets, elements of one accessor) or read
(``max_file_bytes``: a GLB converted from an OBJ scan may be larger than the upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024

FROM_SETTINGS = {
    "max_json_bytes": "max_gltf_json_bytes",
    "max_json_depth": "max_json_depth",
    "max_unzipped_bytes": "max_unzipped_bytes",
    "max_zip_entries": "max_zip_entries",
    "max_triangles": "max_triangles",
    "max_vertices": "max_vertices",
    "max_nodes": "max_nodes",
    "max_accessor_bytes": "max_accessor_bytes",
    "accessor_bytes_per_file_byte": "accessor_bytes_per_file_byte",
    "accessor_bytes_floor": "accessor_bytes_floor",
    "max_images": "max_images",
    "max_texture_side": "max_texture_side",
    "max_model_texels": "max_model_texels",
}
"""Field → the ``Settings`` attribute it is read from; the other fields have no setting."""


@dataclass(frozen=True)
class AssetLimits:
    max_file_bytes: int = 512 * MB
    max_json_bytes: int = 64 * MB
    max_json_depth: int = 64
    max_unzipped_bytes: int = 512 * MB
    max_zip_entries: int = 1000
    max_triangles: int = 4_000_000
    max_vertices: int = 8_000_000
    max_nodes: int = 100_000
    max_accessor_bytes: int = 512 * MB
    accessor_bytes_per_file_byte: int = 32
    accessor_bytes_floor: int = 64 * MB
    max_images: int = 1024
    max_texture_side: int = 8192
    max_model_texels: int = 256 * MB
    max_accessor_count: int = 100_000_000
    max_joints: int = 1024
    max_morph_targets: int = 64

    @classmethod
    def from_settings(cls, settings: Any) -> AssetLimits:
        """The limits a :class:`workers.config.Settings` sets (this package cannot import
        it: the attributes are read by the names in :data:`FROM_SETTINGS`)."""
        return AssetLimits(**{f: getattr(settings, name) for f, name in FROM_SETTINGS.items()})

    def accessor_budget(self, data_bytes: int) -> int:
        """Accessor bytes a model with ``data_bytes`` of JSON and buffers may describe."""
        scaled = max(self.accessor_bytes_floor, self.accessor_bytes_per_file_byte * data_bytes)
        return min(self.max_accessor_bytes, scaled)

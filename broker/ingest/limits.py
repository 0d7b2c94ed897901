"""What one uploaded model may cost, in one value the checks share.

The numbers come from :class:`workers.config.Settings` (``MESHFARM_*``; see docs/api.md,
"Model limits"). A frozen dataclass rather than the settings object itself so that the OBJ
conversion process, which gets it as JSON, checks exactly what the API process would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the OBJ conversion process imports this module without the settings
    from workers.config import Settings

MAX_ACCESSOR_COUNT = 100_000_000
"""Elements in one accessor: the renderer refuses more (renderer/accessors.py)."""


@dataclass(frozen=True)
class ModelLimits:
    max_json_bytes: int
    max_json_depth: int
    max_unzipped_bytes: int
    max_zip_entries: int
    max_triangles: int
    max_vertices: int
    max_nodes: int
    max_accessor_bytes: int
    accessor_bytes_per_file_byte: int
    accessor_bytes_floor: int
    max_images: int
    max_texture_side: int
    max_model_texels: int
    convert_memory_bytes: int
    convert_timeout_seconds: float
    convert_concurrency: int

    @classmethod
    def from_settings(cls, s: Settings) -> ModelLimits:
        return cls(
            max_json_bytes=s.max_gltf_json_bytes,
            max_json_depth=s.max_json_depth,
            max_unzipped_bytes=s.max_unzipped_bytes,
            max_zip_entries=s.max_zip_entries,
            max_triangles=s.max_triangles,
            max_vertices=s.max_vertices,
            max_nodes=s.max_nodes,
            max_accessor_bytes=s.max_accessor_bytes,
            accessor_bytes_per_file_byte=s.accessor_bytes_per_file_byte,
            accessor_bytes_floor=s.accessor_bytes_floor,
            max_images=s.max_images,
            max_texture_side=s.max_texture_side,
            max_model_texels=s.max_model_texels,
            convert_memory_bytes=s.convert_memory_bytes,
            convert_timeout_seconds=s.convert_timeout_seconds,
            convert_concurrency=s.convert_concurrency,
        )

    def accessor_budget(self, data_bytes: int) -> int:
        """Accessor bytes a model with ``data_bytes`` of JSON and buffers may describe."""
        scaled = max(self.accessor_bytes_floor, self.accessor_bytes_per_file_byte * data_bytes)
        return min(self.max_accessor_bytes, scaled)

"""NeRF / Gaussian-splatting dataset export: views of a model, streamed into a ZIP.

A library (no server, no storage): give it a loaded :class:`renderer.Scene` and a
:class:`DatasetSpec`, get the dx.gl "Dataset Export" ZIP. See docs/datasets.md.
"""

from datasets.depth import DepthRange
from datasets.views import COVERAGES, Coverage, dataset_cameras, fibonacci_directions
from datasets.writer import DatasetSpec, DatasetStats, scene_bounds, write_dataset

__all__ = [
    "COVERAGES",
    "Coverage",
    "DatasetSpec",
    "DatasetStats",
    "DepthRange",
    "dataset_cameras",
    "fibonacci_directions",
    "scene_bounds",
    "write_dataset",
]

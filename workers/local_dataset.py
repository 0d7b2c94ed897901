"""A dataset ZIP from a model file, with no server: backs ``meshfarm dataset`` and the
render pipeline's dataset jobs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from datasets import DatasetSpec, write_dataset
from renderer import load_scene


def build_dataset_zip(
    model_path: Path,
    out_zip: Path,
    *,
    quality: str = "100x800",
    coverage: str = "hemisphere",
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the dx.gl dataset ZIP of ``model_path`` for tier ``quality`` to ``out_zip``.

    ``quality``/``coverage`` are the API's ``datasetQuality``/``coverage`` values (a bad
    one raises ValueError before anything is loaded). Model errors raise
    :class:`renderer.SceneError` subclasses whose message is fit for the user; a failed
    run leaves no ``out_zip`` behind. ``progress(done, total)`` counts two steps per
    view (rendered, depth written).
    """
    spec = DatasetSpec.from_api(quality, coverage)
    scene = load_scene(Path(model_path))
    write_dataset(scene, Path(out_zip), spec, progress)

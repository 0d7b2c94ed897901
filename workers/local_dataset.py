"""A dataset ZIP from a model file, with no server: backs ``meshfarm dataset`` and the
pipeline's dataset jobs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import datasets
from exchange.limits import AssetLimits
from renderer import load_scene
from workers.catalogue import DATASET_TIERS
from workers.specs import DatasetSpec


def dataset_views(spec: DatasetSpec) -> datasets.DatasetSpec:
    """What the dataset library renders for ``spec``: its tier's views and size."""
    tier = DATASET_TIERS[spec.tier]
    return datasets.DatasetSpec(views=tier.views, size=tier.size, coverage=spec.coverage)


def build_dataset_zip(
    model_path: Path,
    out_zip: Path,
    views: datasets.DatasetSpec,
    progress: Callable[[int, int], None] | None = None,
    *,
    limits: AssetLimits,
) -> None:
    """Write the dataset ZIP of ``model_path`` (loaded under ``limits``) with ``views`` to
    ``out_zip``.

    Model errors raise :class:`renderer.SceneError` subclasses whose message is fit for
    the user; a failed run leaves no ``out_zip`` behind. ``progress(done, total)`` counts
    two steps per view (rendered, depth written).
    """
    scene = load_scene(Path(model_path), limits)
    datasets.write_dataset(scene, Path(out_zip), views, progress)

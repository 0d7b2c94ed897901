"""``workers.local_dataset``: a spec's tier as views, and ``build_dataset_zip``, the entry
point the CLI and pipeline call."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from ray_reference import ASSETS

import datasets
from exchange import AssetLimits
from renderer import SceneError
from workers.local_dataset import build_dataset_zip, dataset_views
from workers.specs import DatasetSpec

TINY = datasets.DatasetSpec(views=4, size=64)
"""4 views of 64 px, so the entry point runs in a second."""
LIMITS = AssetLimits()


def _check_zip(path: Path, views: int, size: int) -> dict:  # type: ignore[type-arg]
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        meta = json.loads(zf.read("transforms.json"))
    assert (meta["w"], meta["h"], len(meta["frames"])) == (size, size, views)
    for folder in ("images", "depth", "depth_16bit", "depth_exact", "normals", "masks"):
        assert sum(n.startswith(folder + "/") for n in names) == views, folder
    assert {"overview.webp", "points3d.ply", "transforms_train.json"} <= names
    return meta  # type: ignore[no-any-return]


def test_writes_a_valid_zip_with_progress(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "nested" / "duck.zip"
    calls: list[tuple[int, int]] = []
    build_dataset_zip(
        ASSETS / "Duck.glb",
        out,
        datasets.DatasetSpec(views=4, size=64, coverage="sphere"),
        progress=lambda done, total: calls.append((done, total)),
        limits=LIMITS,
    )
    meta = _check_zip(out, 4, 64)
    assert meta["coverage"] == "sphere"
    assert calls[-1] == (8, 8) and [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.parametrize(
    ("tier", "coverage", "views"),
    [
        ("100x800", "hemisphere", datasets.DatasetSpec(100, 800)),
        ("196x1024", "sphere", datasets.DatasetSpec(196, 1024, "sphere")),
        ("400x2048", "hemisphere", datasets.DatasetSpec(400, 2048)),
    ],
)
def test_a_tier_is_its_views_and_size(tier, coverage, views):  # type: ignore[no-untyped-def]
    assert dataset_views(DatasetSpec(model_id="m", tier=tier, coverage=coverage)) == views


def test_bad_values_raise_before_any_work():  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="coverage"):
        datasets.DatasetSpec(views=4, size=64, coverage="cube")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        datasets.DatasetSpec(views=0, size=64)


def test_bad_model_leaves_no_zip(tmp_path):  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.glb"
    bad.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 8)
    with pytest.raises(SceneError):
        build_dataset_zip(bad, tmp_path / "x.zip", TINY, limits=LIMITS)
    assert not (tmp_path / "x.zip").exists()


def test_failure_while_rendering_removes_the_partial_zip(tmp_path):  # type: ignore[no-untyped-def]
    def stop(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_dataset_zip(
            ASSETS / "Duck.glb", tmp_path / "x.zip", TINY, progress=stop, limits=LIMITS
        )
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.slow
def test_default_tier_100x800(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "duck.zip"
    build_dataset_zip(
        ASSETS / "Duck.glb", out, dataset_views(DatasetSpec(model_id="m")), limits=LIMITS
    )
    meta = _check_zip(out, 100, 800)
    assert meta["coverage"] == "hemisphere"

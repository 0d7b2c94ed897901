"""Fixtures for the dataset tests: small real datasets, built once per session.

The library takes view counts and sizes as parameters, so the datasets here are small;
each is unpacked to a folder, the way a user unzips one.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

# As in tests/renderer/conftest.py: keep the project root ahead of tests/ on sys.path so
# that `datasets` is this project's package, not tests/datasets as a namespace package.
ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))
if getattr(sys.modules.get("datasets"), "__file__", "") is None:
    del sys.modules["datasets"]

from ray_reference import scene_of  # noqa: E402

from datasets import DatasetSpec, write_dataset  # noqa: E402


@dataclass(frozen=True)
class Built:
    """A dataset written to ``zip_path`` and unpacked into ``root``."""

    asset: str
    spec: DatasetSpec
    zip_path: Path
    root: Path


_built: dict[tuple[str, DatasetSpec], Built] = {}


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Built]:
    """Build (once per session and spec) a dataset of a tests/assets model."""

    def make(asset: str, views: int = 24, size: int = 160, coverage: str = "hemisphere") -> Built:
        spec = DatasetSpec(views=views, size=size, coverage=coverage)  # type: ignore[arg-type]
        key = (asset, spec)
        if key not in _built:
            folder = tmp_path_factory.mktemp(Path(asset).stem)
            zip_path = folder / "dataset.zip"
            write_dataset(scene_of(asset), zip_path, spec)
            root = folder / "unzipped"
            with zipfile.ZipFile(zip_path) as zf:
                zf.extractall(root)
            _built[key] = Built(asset, spec, zip_path, root)
        return _built[key]

    return make

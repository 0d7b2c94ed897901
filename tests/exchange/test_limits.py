"""One set of model limits: the settings' values, for the upload check and the loader."""

from __future__ import annotations

import dataclasses

import pytest

from broker.ingest.limits import ModelLimits
from exchange.limits import FROM_SETTINGS, AssetLimits
from workers.config import Settings


def test_defaults_are_the_settings_defaults() -> None:
    """The loader's default limits (a worker that passes none) are the upload's."""
    defaults = {name: f.default for name, f in Settings.model_fields.items()}
    assert {f: defaults[name] for f, name in FROM_SETTINGS.items()} == {
        f: getattr(AssetLimits(), f) for f in FROM_SETTINGS
    }


def test_settings_set_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHFARM_MAX_UNZIPPED_BYTES", "1000")
    monkeypatch.setenv("MESHFARM_MAX_GLTF_JSON_BYTES", "2000")
    monkeypatch.setenv("MESHFARM_MAX_TRIANGLES", "30")
    limits = AssetLimits.from_settings(Settings())
    assert (limits.max_unzipped_bytes, limits.max_json_bytes, limits.max_triangles) == (
        1000,
        2000,
        30,
    )
    model = ModelLimits.from_settings(Settings())
    assert {f.name: getattr(model, f.name) for f in dataclasses.fields(AssetLimits)} == (
        dataclasses.asdict(limits)
    )
    assert model.convert_concurrency == Settings().convert_concurrency


def test_the_accessor_budget_scales_with_the_file() -> None:
    limits = AssetLimits()
    assert limits.accessor_budget(500) == 64 * 1024 * 1024
    assert limits.accessor_budget(4 * 1024 * 1024) == 128 * 1024 * 1024
    assert limits.accessor_budget(100 * 1024 * 1024) == 512 * 1024 * 1024

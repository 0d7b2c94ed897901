"""The lighting fields of RenderSettings: today's look by default, validated directly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from renderer import InvalidSettings, RenderSettings
from renderer.environment import uniform_environment


def test_defaults_are_todays_look() -> None:
    s = RenderSettings()
    assert s.environment == "studio"
    assert (s.environment_rotation, s.environment_intensity) == (0.0, 1.0)
    assert s.tone_mapping == "neutral"
    assert s.key_light is None  # on, unless the model brings its own lights
    assert s.background_environment is False


def test_a_loaded_environment_is_accepted() -> None:
    env = uniform_environment(0.5)
    assert RenderSettings(environment=env).environment is env


@pytest.mark.parametrize(
    "bad",
    [
        {"environment": "sunset-nowhere"},
        {"environment": 3},
        {"environment_rotation": 400.0},
        {"environment_rotation": float("nan")},
        {"environment_intensity": -1.0},
        {"environment_intensity": 1e9},
        {"tone_mapping": "filmic"},
        {"tone_mapping": "linear"},
        {"key_light": "yes"},
        {"key_light": 1},
        {"background_environment": "sky"},
    ],
)
def test_bad_lighting_values_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidSettings):
        RenderSettings(**bad)


def test_valid_edges_pass() -> None:
    assert RenderSettings(environment=uniform_environment((1.0, 0.5, 0.25))).key_light is None
    assert np.isfinite(RenderSettings(environment_intensity=0.0).environment_intensity)
    assert RenderSettings(environment_rotation=-360.0, key_light=False).key_light is False

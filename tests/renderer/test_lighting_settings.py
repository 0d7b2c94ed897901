"""The lighting fields of RenderSettings and their camelCase renderSettings keys."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from renderer import InvalidSettings, RenderSettings, settings_from_dxgl
from renderer.environment import uniform_environment


def test_defaults_are_todays_look() -> None:
    s = settings_from_dxgl({})
    assert s.environment == "studio"
    assert (s.environment_rotation, s.environment_intensity) == (0.0, 1.0)
    assert s.tone_mapping == "neutral"
    assert s.key_light is None  # on, unless the model brings its own lights
    assert s.background_environment is False


def test_camel_case_keys_reach_the_settings() -> None:
    s = settings_from_dxgl(
        {
            "environment": "studio",
            "environmentRotation": -90,
            "environmentIntensity": 2.5,
            "toneMapping": "aces",
            "keyLight": False,
            "background": "environment",
        }
    )
    assert s.environment_rotation == -90.0 and s.environment_intensity == 2.5
    assert s.tone_mapping == "aces" and s.key_light is False and s.background_environment


def test_a_loaded_environment_passed_by_the_caller_wins() -> None:
    env = uniform_environment(0.5)
    s = settings_from_dxgl({"environment": "studio"}, environment=env)
    assert s.environment is env


@pytest.mark.parametrize(
    "bad",
    [
        {"environment": "sunset-nowhere"},
        {"environment": 3},
        {"environmentRotation": 400},
        {"environmentRotation": "90"},
        {"environmentIntensity": -1},
        {"environmentIntensity": 1e9},
        {"toneMapping": "filmic"},
        {"toneMapping": None},
        {"keyLight": "yes"},
        {"background": "sky"},
    ],
)
def test_bad_lighting_values_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidSettings):
        settings_from_dxgl(bad)


def test_dataclass_validates_directly() -> None:
    with pytest.raises(InvalidSettings):
        RenderSettings(tone_mapping="linear")
    with pytest.raises(InvalidSettings):
        RenderSettings(environment_rotation=float("nan"))
    with pytest.raises(InvalidSettings):
        RenderSettings(key_light=1)  # type: ignore[arg-type]
    assert RenderSettings(environment=uniform_environment((1.0, 0.5, 0.25))).key_light is None
    assert np.isfinite(RenderSettings(environment_intensity=0.0).environment_intensity)

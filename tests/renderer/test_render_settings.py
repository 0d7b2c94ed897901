"""RenderSettings: its defaults, the output size of an aspect, and its own validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from renderer import InvalidSettings, RenderSettings, output_size


def test_defaults() -> None:
    s = RenderSettings()
    assert (s.effect, s.aspect, s.width, s.height) == ("turntable", "16:9", 960, 540)
    assert s.bg_color == (1.0, 1.0, 1.0) and s.bg_align == "top-left"
    assert (s.length, s.animation_speed, s.shadows, s.reflector, s.easing) == (
        6,
        1,
        True,
        False,
        True,
    )
    assert (s.rotate_y, s.tilt_x, s.pan_x, s.roll_z, s.zoom, s.vignette) == (0, 0, 0, 0, 1, 0)
    assert (s.ease_out_ratio, s.amplitude, s.zoom_start, s.zoom_end, s.scale_from) == (
        0.6,
        60,
        1.0,
        0.7,
        0.0,
    )
    assert s.sweep_angle is None and not s.transparent
    assert s.frame_count == 180
    assert RenderSettings(length=4.7).frame_count == round(4.7 * 30)


@pytest.mark.parametrize(
    ("long_side", "aspect", "size"),
    [
        (960, "16:9", (960, 540)),
        (1920, "16:9", (1920, 1080)),
        (3840, "16:9", (3840, 2160)),
        (960, "1:1", (960, 960)),
        (960, "9:16", (540, 960)),
        (1920, "9:16", (1080, 1920)),
        (480, "16:9", (480, 270)),
        (100, "16:9", (100, 56)),  # 56.25: the short side is even
    ],
)
def test_output_size_keeps_the_long_side(
    long_side: int, aspect: str, size: tuple[int, int]
) -> None:
    assert output_size(long_side, aspect) == size


def test_output_size_refuses_an_unknown_aspect() -> None:
    with pytest.raises(InvalidSettings, match="aspect"):
        output_size(960, "4:3")


@pytest.mark.parametrize(
    "bad",
    [
        {"effect": "spin"},
        {"aspect": "4:3"},
        {"bg_color": (1.0, 2.0, 0.0)},
        {"vignette": 2.0},
        {"zoom": 3.0},
        {"rotate_y": 200.0},
        {"tilt_x": -91.0},
        {"roll_z": float("nan")},
        {"sweep_angle": 5.0},
        {"length": 0.0},
        {"animation_speed": 0.0},
        {"bg_align": "middle"},
        {"width": 0},
        {"height": 99999},
        {"bg_image": np.zeros((4, 4), np.uint8)},
        {"supersample": 4},
    ],
)
def test_invalid_values_raise_invalid_settings(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidSettings):
        RenderSettings(**bad)


def test_render_settings_is_frozen() -> None:
    s = RenderSettings()
    with pytest.raises(AttributeError):
        s.width = 5  # type: ignore[misc]

"""dx.gl renderSettings → RenderSettings: defaults, tiers, aspects, validation."""

from __future__ import annotations

import pytest

from renderer import InvalidSettings, RenderSettings, settings_from_dxgl


def test_defaults_match_the_spec() -> None:
    s = settings_from_dxgl({})
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


@pytest.mark.parametrize(
    ("quality", "aspect", "size"),
    [
        ("share", "16:9", (960, 540)),
        ("standard", "16:9", (1920, 1080)),
        ("4k", "16:9", (3840, 2160)),
        ("pro", "16:9", (3840, 2160)),
        ("share", "1:1", (960, 960)),
        ("share", "9:16", (540, 960)),
        ("standard", "9:16", (1080, 1920)),
        ("4k", "1:1", (3840, 3840)),
    ],
)
def test_tier_sizes_keep_the_long_side(quality: str, aspect: str, size: tuple[int, int]) -> None:
    s = settings_from_dxgl({"aspect": aspect}, quality=quality)
    assert (s.width, s.height) == size


def test_pro_is_transparent_and_quality_argument_wins() -> None:
    assert settings_from_dxgl({"quality": "pro"}).transparent
    assert not settings_from_dxgl({"quality": "pro"}, quality="4k").transparent


def test_camel_case_fields_map() -> None:
    s = settings_from_dxgl(
        {
            "effect": "hero-spin",
            "sweepAngle": 720,
            "easeOutRatio": 0.3,
            "bgColor": "#ff8800",
            "length": 4.7,
            "animation": "Walk",
            "rotateY": -90,
            "tiltX": 10,
            "reflector": True,
        }
    )
    assert (s.effect, s.sweep_angle, s.ease_out_ratio, s.animation) == (
        "hero-spin",
        720,
        0.3,
        "Walk",
    )
    assert s.bg_color == (1.0, 136 / 255, 0.0)
    assert s.frame_count == round(4.7 * 30)
    assert (s.rotate_y, s.tilt_x, s.reflector) == (-90, 10, True)


@pytest.mark.parametrize(
    "bad",
    [
        {"effect": "spin"},
        {"aspect": "4:3"},
        {"bgColor": "white"},
        {"bgColor": "#12345"},
        {"vignette": 2},
        {"zoom": 3},
        {"rotateY": 200},
        {"sweepAngle": 5},
        {"length": "6"},
        {"shadows": "yes"},
        {"quality": "8k"},
        {"bgAlign": "middle"},
    ],
)
def test_invalid_values_raise_invalid_settings(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidSettings):
        settings_from_dxgl(bad)


def test_render_settings_is_frozen() -> None:
    s = RenderSettings()
    with pytest.raises(AttributeError):
        s.width = 5  # type: ignore[misc]


def test_keys_the_renderer_does_not_use_are_ignored() -> None:
    s = settings_from_dxgl({"bgImageId": "abc123DEF456", "quality": "4k", "title": "x"})
    assert (s.width, s.height, s.bg_image) == (3840, 2160, None)

"""RenderSpec → RenderSettings (``workers.render_settings``): tiers, preview, transparency,
the spec's fields and the renderer's defaults for what the spec leaves unset."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from renderer import InvalidSettings, RenderSettings
from renderer.environment import uniform_environment
from workers.render_settings import SAME_NAMED, parse_hex_color, render_settings
from workers.specs import RenderSpec


def spec(**fields: Any) -> RenderSpec:
    return RenderSpec(model_id="m", **fields)


def test_an_empty_spec_renders_with_the_renderer_defaults() -> None:
    assert render_settings(spec()) == RenderSettings()


@pytest.mark.parametrize(
    ("tier", "aspect", "size"),
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
def test_tier_sizes_keep_the_long_side(tier: str, aspect: str, size: tuple[int, int]) -> None:
    s = render_settings(spec(tier=tier, aspect=aspect))
    assert (s.width, s.height) == size


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (480, 270)), ("1:1", (480, 480)), ("9:16", (270, 480))]
)
def test_a_preview_is_half_the_share_size(aspect: str, size: tuple[int, int]) -> None:
    s = render_settings(spec(preview=True, aspect=aspect))
    assert (s.width, s.height) == size
    assert s.supersample == 1  # the cheap look: a sixteenth of the share render's fragments
    assert render_settings(spec(aspect=aspect)).supersample == 2


def test_pro_is_transparent_and_a_shared_batch_can_ask_for_it() -> None:
    assert render_settings(spec(tier="pro")).transparent
    assert not render_settings(spec(tier="4k")).transparent
    assert render_settings(spec(tier="4k"), transparent=True).transparent


def test_spec_fields_reach_the_settings() -> None:
    s = render_settings(
        spec(
            effect="hero-spin",
            sweep_angle=720,
            ease_out_ratio=0.3,
            bg_color="#ff8800",
            bg_align="bottom-right",
            length=4.7,
            animation="Walk",
            rotate_y=-90,
            tilt_x=10,
            reflector=True,
            environment_rotation=-90,
            environment_intensity=2.5,
            tone_mapping="aces",
            key_light=False,
            background_environment=True,
            material_variant="Jade",
        )
    )
    assert (s.effect, s.sweep_angle, s.ease_out_ratio, s.animation) == (
        "hero-spin",
        720,
        0.3,
        "Walk",
    )
    assert s.bg_color == (1.0, 136 / 255, 0.0) and s.bg_align == "bottom-right"
    assert s.frame_count == round(4.7 * 30)
    assert (s.rotate_y, s.tilt_x, s.reflector) == (-90, 10, True)
    assert (s.environment_rotation, s.environment_intensity, s.tone_mapping) == (-90, 2.5, "aces")
    assert s.key_light is False and s.background_environment and s.material_variant == "Jade"


def test_unset_lighting_is_the_renderer_default() -> None:
    s = render_settings(spec(environment=None, key_light=None, background_environment=None))
    assert (s.environment, s.environment_rotation, s.environment_intensity) == ("studio", 0, 1)
    assert s.tone_mapping == "neutral" and s.key_light is None
    assert s.background_environment is False


def test_loaded_inputs_are_passed_through() -> None:
    env = uniform_environment(0.5)
    image = np.zeros((9, 16, 3), np.uint8)
    s = render_settings(spec(environment="e1", bg_image_id="o1"), bg_image=image, environment=env)
    assert s.environment is env and s.bg_image is image
    assert render_settings(spec(environment="studio")).environment == "studio"


def test_an_uploaded_environment_that_was_not_loaded_is_refused() -> None:
    with pytest.raises(InvalidSettings, match="environment"):
        render_settings(spec(environment="e1"))


@pytest.mark.parametrize("bad", ["white", "#12345", "#12345g", "ffffff0", "#FFFFFF"])
def test_a_spec_refuses_a_colour_that_is_not_lower_case_rrggbb(bad: str) -> None:
    with pytest.raises(ValidationError, match="bg_color"):
        spec(bg_color=bad)


def test_hex_colours() -> None:
    assert parse_hex_color("#FF8800") == (255, 136, 0)


def test_out_of_range_values_are_refused_by_the_renderer() -> None:
    with pytest.raises(InvalidSettings, match="rotate_y"):
        render_settings(spec(rotate_y=200))


def test_every_spec_field_is_translated() -> None:
    """A field added to RenderSpec must reach the renderer (or be resolved here)."""
    resolved = {"kind", "model_id", "tier", "preview", "bg_color", "bg_image_id", "bg_align"}
    resolved.add("environment")
    assert set(RenderSpec.model_fields) == set(SAME_NAMED) | resolved
    assert set(SAME_NAMED) <= {f.name for f in fields(RenderSettings)}

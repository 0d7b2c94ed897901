"""A render spec → the renderer's settings: the one place a tier becomes pixels.

The spec says what the client asked for in meshfarm's words (a tier, a preview, lighting
left unset); the renderer wants resolved values (an output size, float colours, a loaded
map). Fields the spec leaves at None are not passed, so the renderer's own defaults
apply (studio light, no rotation, intensity 1, neutral tone mapping, automatic key
light, the colour background).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from renderer import Environment, InvalidSettings, RenderSettings, output_size
from workers.catalogue import PREVIEW_DIVISOR, VIDEO_TIERS
from workers.specs import RenderSpec

SAME_NAMED = (
    "effect",
    "sweep_angle",
    "ease_out_ratio",
    "amplitude",
    "zoom_start",
    "zoom_end",
    "scale_from",
    "vignette",
    "aspect",
    "length",
    "animation",
    "animation_speed",
    "shadows",
    "reflector",
    "easing",
    "rotate_y",
    "tilt_x",
    "pan_x",
    "roll_z",
    "zoom",
    "environment_rotation",
    "environment_intensity",
    "tone_mapping",
    "key_light",
    "background_environment",
    "material_variant",
)
"""Spec fields the renderer takes as they are (None: the renderer's default)."""


def parse_hex_color(value: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → 0..255 channels (what the encoders lay under the frames)."""
    try:
        if len(value) != 7 or value[0] != "#":
            raise ValueError
        return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)
    except ValueError:
        raise InvalidSettings(f"bg_color must look like #rrggbb, got {value!r}") from None


def render_settings(
    spec: RenderSpec,
    *,
    bg_image: np.ndarray | None = None,
    environment: Environment | None = None,
    transparent: bool = False,
) -> RenderSettings:
    """The settings that render ``spec``.

    ``bg_image`` is the pixels of the spec's background overlay and ``environment`` its
    uploaded map (which wins over ``spec.environment``), both loaded by the caller; a
    name that is neither built in nor loaded is InvalidSettings. ``transparent`` asks for
    frames without background even when the tier keeps one (frames shared by renders
    with different backgrounds); a ProRes 4444 tier is always transparent. A preview
    renders at 1/``PREVIEW_DIVISOR`` of its tier's size (the thumbnail's) without
    supersampling: a sixteenth of the charged render's fragments per frame.
    """
    tier = VIDEO_TIERS[spec.tier]
    long_side = tier.long_side // PREVIEW_DIVISOR if spec.preview else tier.long_side
    width, height = output_size(long_side, spec.aspect)
    given: dict[str, Any] = {
        name: value for name in SAME_NAMED if (value := getattr(spec, name)) is not None
    }
    return RenderSettings(
        **given,
        width=width,
        height=height,
        transparent=transparent or tier.transparent,
        bg_color=_unit(parse_hex_color(spec.bg_color)),
        bg_image=bg_image,
        bg_align=spec.bg_align or "top-left",
        environment=environment if environment is not None else spec.environment or "studio",
        supersample=1 if spec.preview else 2,
    )


def _unit(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    return rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0

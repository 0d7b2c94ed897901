"""Render settings: the dx.gl ``renderSettings`` object as a typed, validated dataclass.

The API speaks camelCase JSON with per-field defaults (see the Render Settings table of
the dx.gl spec); the renderer wants snake_case values that are already checked and
resolved (output size from ``quality`` and ``aspect``, colours as floats). This module is
the one place that translation happens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from renderer.environment import BUILTIN_ENVIRONMENTS, Environment
from renderer.errors import InvalidSettings
from renderer.limits import MAX_OUTPUT_SIDE

EFFECTS = ("turntable", "hero-spin", "showcase", "zoom-orbit", "reveal")
ASPECTS = {"16:9": (16, 9), "1:1": (1, 1), "9:16": (9, 16)}
BG_ALIGNS = (
    "top-left",
    "top-center",
    "top-right",
    "center-left",
    "center",
    "center-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
)
TONE_MAPPINGS = ("neutral", "aces", "none")
MAX_ENVIRONMENT_INTENSITY = 100.0
QUALITY_LONG_SIDE = {"share": 960, "standard": 1920, "4k": 3840, "pro": 3840}
FPS = 30


@dataclass(frozen=True)
class RenderSettings:
    """Everything that decides the pixels of a render, validated.

    ``width``/``height`` are the OUTPUT size; the renderer draws at twice that (2× SSAA).
    ``bg_color`` is an sRGB-encoded RGB triple in 0..1 (what ``#rrggbb`` means), so
    ``(1, 1, 1)`` is white and the background pixels equal ``round(255 * bg_color)``.
    ``bg_image`` (H×W×3 or H×W×4 uint8, sRGB) replaces ``bg_color``; it is scaled to
    cover the frame and cropped from the ``bg_align`` anchor.

    Lighting (meshfarm extensions; a dx.gl client never sends them): ``environment`` is
    a built-in name (``"studio"``) or a loaded :class:`~renderer.environment.Environment`;
    ``environment_rotation`` turns it (and the key light) about +Y, in degrees,
    counter-clockwise seen from above; ``environment_intensity`` scales its radiance.
    ``tone_mapping``: ``"neutral"`` (Khronos PBR Neutral), ``"aces"`` (three.js's ACES
    filmic fit with its ×1/0.6 exposure) or ``"none"`` (clamp, then sRGB: physical
    tests). ``key_light``: True / False, or None = on unless the scene brings its own
    lights. ``background_environment`` shows the environment behind the model instead
    of ``bg_color`` / ``bg_image`` (ignored for transparent output).
    """

    effect: str = "turntable"
    sweep_angle: float | None = None
    ease_out_ratio: float = 0.6
    amplitude: float = 60.0
    zoom_start: float = 1.0
    zoom_end: float = 0.7
    scale_from: float = 0.0
    vignette: float = 0.0
    aspect: str = "16:9"
    width: int = 960
    height: int = 540
    bg_color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    bg_image: np.ndarray | None = None
    bg_align: str = "top-left"
    length: float = 6.0
    animation: str | None = None
    animation_speed: float = 1.0
    shadows: bool = True
    reflector: bool = False
    easing: bool = True
    rotate_y: float = 0.0
    tilt_x: float = 0.0
    pan_x: float = 0.0
    roll_z: float = 0.0
    zoom: float = 1.0
    transparent: bool = False
    fps: int = FPS
    environment: str | Environment = "studio"
    environment_rotation: float = 0.0
    environment_intensity: float = 1.0
    tone_mapping: str = "neutral"
    key_light: bool | None = None
    background_environment: bool = False
    material_variant: str | None = None
    """KHR_materials_variants variant to draw by name (None: the file's default materials);
    a name the model lacks is InvalidSettings when the scene is rendered."""

    def __post_init__(self) -> None:
        _check(self.effect in EFFECTS, f"effect must be one of {', '.join(EFFECTS)}")
        _check(self.aspect in ASPECTS, "aspect must be 16:9, 1:1 or 9:16")
        _check(self.bg_align in BG_ALIGNS, f"bgAlign must be one of {', '.join(BG_ALIGNS)}")
        _check(
            0 < self.width <= MAX_OUTPUT_SIDE and 0 < self.height <= MAX_OUTPUT_SIDE,
            f"output size must be between 1 and {MAX_OUTPUT_SIDE} pixels per side",
        )
        _check(0.0 <= self.vignette <= 1.0, "vignette must be between 0 and 1")
        _check(0.0 < self.length <= 600.0, "length must be between 0 and 600 seconds")
        _check(0.5 <= self.zoom <= 2.0, "zoom must be between 0.5 and 2.0")
        _check(0.0 <= self.ease_out_ratio <= 1.0, "easeOutRatio must be between 0 and 1")
        _check(0.1 <= self.zoom_start <= 3 and 0.1 <= self.zoom_end <= 3, "zoom range 0.1-3")
        _check(0.0 <= self.scale_from <= 1.0, "scaleFrom must be between 0 and 1")
        _check(5.0 <= self.amplitude <= 180.0, "amplitude must be between 5 and 180")
        _check(
            self.sweep_angle is None or 10.0 <= self.sweep_angle <= 1080.0,
            "sweepAngle must be between 10 and 1080",
        )
        _check(self.animation_speed > 0, "animationSpeed must be positive")
        _check(self.fps > 0, "fps must be positive")
        _check(all(0.0 <= c <= 1.0 for c in self.bg_color), "bg_color channels must be 0..1")
        _check(
            isinstance(self.environment, Environment) or self.environment in BUILTIN_ENVIRONMENTS,
            f"environment must be one of {', '.join(BUILTIN_ENVIRONMENTS)} or a loaded map",
        )
        _check(
            math.isfinite(self.environment_rotation) and abs(self.environment_rotation) <= 360,
            "environmentRotation must be between -360 and 360 degrees",
        )
        _check(
            math.isfinite(self.environment_intensity)
            and 0.0 <= self.environment_intensity <= MAX_ENVIRONMENT_INTENSITY,
            f"environmentIntensity must be between 0 and {MAX_ENVIRONMENT_INTENSITY:g}",
        )
        _check(
            self.tone_mapping in TONE_MAPPINGS,
            f"toneMapping must be one of {', '.join(TONE_MAPPINGS)}",
        )
        _check(
            self.key_light is None or isinstance(self.key_light, bool),
            "keyLight must be true or false",
        )
        _check(
            isinstance(self.background_environment, bool),
            "background_environment must be true or false",
        )
        if self.bg_image is not None:
            img = self.bg_image
            _check(
                img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] in (3, 4),
                "bg_image must be an H×W×3 or H×W×4 uint8 array",
            )

    @property
    def frame_count(self) -> int:
        """Frames in the video: ``round(length × fps)`` (at least one)."""
        return max(1, round(self.length * self.fps))


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidSettings(message)


def output_size(quality: str, aspect: str) -> tuple[int, int]:
    """Output (width, height) for a tier and aspect: the long side is the tier's."""
    _check(quality in QUALITY_LONG_SIDE, "quality must be share, standard, 4k or pro")
    _check(aspect in ASPECTS, "aspect must be 16:9, 1:1 or 9:16")
    long_side = QUALITY_LONG_SIDE[quality]
    aw, ah = ASPECTS[aspect]
    short = 2 * round(long_side * min(aw, ah) / max(aw, ah) / 2)  # even, for the encoders
    return (long_side, short) if aw >= ah else (short, long_side)


def parse_hex_color(value: Any) -> tuple[float, float, float]:
    """``"#rrggbb"`` → sRGB floats in 0..1."""
    if not (isinstance(value, str) and len(value) == 7 and value[0] == "#"):
        raise InvalidSettings(f"bgColor must look like #rrggbb, got {value!r}")
    try:
        rgb = [int(value[i : i + 2], 16) for i in (1, 3, 5)]
    except ValueError:
        raise InvalidSettings(f"bgColor must look like #rrggbb, got {value!r}") from None
    return (rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0)


_NUMBER_FIELDS = {
    "sweepAngle": "sweep_angle",
    "easeOutRatio": "ease_out_ratio",
    "amplitude": "amplitude",
    "zoomStart": "zoom_start",
    "zoomEnd": "zoom_end",
    "scaleFrom": "scale_from",
    "vignette": "vignette",
    "length": "length",
    "animationSpeed": "animation_speed",
    "rotateY": "rotate_y",
    "tiltX": "tilt_x",
    "panX": "pan_x",
    "rollZ": "roll_z",
    "zoom": "zoom",
    "environmentRotation": "environment_rotation",
    "environmentIntensity": "environment_intensity",
}
_BOOL_FIELDS = {
    "shadows": "shadows",
    "reflector": "reflector",
    "easing": "easing",
    "keyLight": "key_light",
}
BACKGROUNDS = ("color", "environment")
_ANGLE_RANGES = {"rotateY": 180.0, "tiltX": 90.0, "panX": 180.0, "rollZ": 180.0}


def settings_from_dxgl(
    d: dict[str, Any],
    *,
    quality: str | None = None,
    bg_image: np.ndarray | None = None,
    environment: Environment | None = None,
) -> RenderSettings:
    """Build :class:`RenderSettings` from a dx.gl ``renderSettings`` dict (any subset).

    ``quality`` overrides ``d["quality"]`` (the worker renders one job's tiers from one
    settings dict); the default tier is ``share``. ``pro`` means transparent output.
    Keys the renderer does not use (``bgImageId``, ``output``…) are ignored here: the
    worker resolves ``bgImageId`` to pixels and passes them as ``bg_image``.

    meshfarm's lighting keys: ``environment`` (a built-in name; an uploaded map is
    resolved by the caller and passed as ``environment``, which then wins),
    ``environmentRotation``, ``environmentIntensity``, ``toneMapping``, ``keyLight`` and
    ``background`` (``"color"``, the default, or ``"environment"``); ``materialVariant``
    (a KHR_materials_variants name).
    """
    tier = quality if quality is not None else d.get("quality", "share")
    aspect = d.get("aspect", "16:9")
    width, height = output_size(tier, aspect)
    kwargs: dict[str, Any] = {}
    for key, field_name in _NUMBER_FIELDS.items():
        if key in d and d[key] is not None:
            value = d[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidSettings(f"{key} must be a number")
            if not math.isfinite(value):
                raise InvalidSettings(f"{key} must be finite")
            limit = _ANGLE_RANGES.get(key)
            if limit is not None and abs(value) > limit:
                raise InvalidSettings(f"{key} must be between {-limit:g} and {limit:g}")
            kwargs[field_name] = float(value)
    for key, field_name in _BOOL_FIELDS.items():
        if key in d and d[key] is not None:
            if not isinstance(d[key], bool):
                raise InvalidSettings(f"{key} must be true or false")
            kwargs[field_name] = d[key]
    effect = d.get("effect", "turntable")
    animation = d.get("animation")
    if animation is not None and not isinstance(animation, str):
        raise InvalidSettings("animation must be a clip name or '*'")
    material_variant = d.get("materialVariant")
    if material_variant is not None and not isinstance(material_variant, str):
        raise InvalidSettings("materialVariant must be the name of one of the model's variants")
    tone_mapping = d.get("toneMapping", "neutral")
    if not isinstance(tone_mapping, str):
        raise InvalidSettings(f"toneMapping must be one of {', '.join(TONE_MAPPINGS)}")
    background = d.get("background", "color")
    if background not in BACKGROUNDS:
        raise InvalidSettings("background must be 'color' or 'environment'")
    env: str | Environment = environment if environment is not None else "studio"
    if environment is None and d.get("environment") is not None:
        name = d["environment"]
        if not isinstance(name, str) or name not in BUILTIN_ENVIRONMENTS:
            raise InvalidSettings(
                f"environment must be one of {', '.join(BUILTIN_ENVIRONMENTS)} "
                "or an uploaded environment"
            )
        env = name
    return RenderSettings(
        effect=effect,
        aspect=aspect,
        width=width,
        height=height,
        bg_color=parse_hex_color(d.get("bgColor", "#ffffff")),
        bg_image=bg_image,
        bg_align=d.get("bgAlign", "top-left"),
        animation=animation or None,
        transparent=tier == "pro",
        environment=env,
        tone_mapping=tone_mapping,
        background_environment=background == "environment",
        material_variant=material_variant,
        **kwargs,
    )

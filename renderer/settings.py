"""Render settings: everything that decides a render's pixels, as a validated dataclass.

The renderer is a library: it takes resolved values (an output size in pixels, colours
as floats, a loaded environment) and checks them itself, whoever built them. What a
client asked for (a tier, an overlay id) is translated by the caller
(``workers.render_settings``); no API's names or tiers are known here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
ANGLE_LIMITS = {"rotate_y": 180.0, "tilt_x": 90.0, "pan_x": 180.0, "roll_z": 180.0}
"""Degrees either way for the model's start azimuth and its tilt, pan and roll."""
FPS = 30


@dataclass(frozen=True)
class RenderSettings:
    """Everything that decides the pixels of a render, validated.

    ``width``/``height`` are the OUTPUT size; the renderer draws at ``supersample`` times
    that (2: 2×2 SSAA, the look of every charged render; 1: none, for cheap previews).
    ``bg_color`` is an sRGB-encoded RGB triple in 0..1 (what ``#rrggbb`` means), so
    ``(1, 1, 1)`` is white and the background pixels equal ``round(255 * bg_color)``.
    ``bg_image`` (H×W×3 or H×W×4 uint8, sRGB) replaces ``bg_color``; it is scaled to
    cover the frame and cropped from the ``bg_align`` anchor.

    Lighting: ``environment`` is
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
    supersample: int = 2
    material_variant: str | None = None
    """KHR_materials_variants variant to draw by name (None: the file's default materials);
    a name the model lacks is InvalidSettings when the scene is rendered."""

    def __post_init__(self) -> None:
        _check(self.effect in EFFECTS, f"effect must be one of {', '.join(EFFECTS)}")
        _check(self.aspect in ASPECTS, "aspect must be 16:9, 1:1 or 9:16")
        _check(self.bg_align in BG_ALIGNS, f"bg_align must be one of {', '.join(BG_ALIGNS)}")
        _check(
            0 < self.width <= MAX_OUTPUT_SIDE and 0 < self.height <= MAX_OUTPUT_SIDE,
            f"output size must be between 1 and {MAX_OUTPUT_SIDE} pixels per side",
        )
        _check(self.supersample in (1, 2), "supersample must be 1 or 2")
        _check(0.0 <= self.vignette <= 1.0, "vignette must be between 0 and 1")
        _check(0.0 < self.length <= 600.0, "length must be between 0 and 600 seconds")
        _check(0.5 <= self.zoom <= 2.0, "zoom must be between 0.5 and 2.0")
        _check(0.0 <= self.ease_out_ratio <= 1.0, "ease_out_ratio must be between 0 and 1")
        _check(
            0.1 <= self.zoom_start <= 3 and 0.1 <= self.zoom_end <= 3,
            "zoom_start and zoom_end must be between 0.1 and 3",
        )
        _check(0.0 <= self.scale_from <= 1.0, "scale_from must be between 0 and 1")
        _check(5.0 <= self.amplitude <= 180.0, "amplitude must be between 5 and 180")
        _check(
            self.sweep_angle is None or 10.0 <= self.sweep_angle <= 1080.0,
            "sweep_angle must be between 10 and 1080",
        )
        for name, limit in ANGLE_LIMITS.items():
            angle = getattr(self, name)
            _check(
                math.isfinite(angle) and abs(angle) <= limit,
                f"{name} must be between {-limit:g} and {limit:g} degrees",
            )
        _check(self.animation_speed > 0, "animation_speed must be positive")
        _check(self.fps > 0, "fps must be positive")
        _check(all(0.0 <= c <= 1.0 for c in self.bg_color), "bg_color channels must be 0..1")
        _check(
            isinstance(self.environment, Environment) or self.environment in BUILTIN_ENVIRONMENTS,
            f"environment must be one of {', '.join(BUILTIN_ENVIRONMENTS)} or a loaded map",
        )
        _check(
            math.isfinite(self.environment_rotation) and abs(self.environment_rotation) <= 360,
            "environment_rotation must be between -360 and 360 degrees",
        )
        _check(
            math.isfinite(self.environment_intensity)
            and 0.0 <= self.environment_intensity <= MAX_ENVIRONMENT_INTENSITY,
            f"environment_intensity must be between 0 and {MAX_ENVIRONMENT_INTENSITY:g}",
        )
        _check(
            self.tone_mapping in TONE_MAPPINGS,
            f"tone_mapping must be one of {', '.join(TONE_MAPPINGS)}",
        )
        _check(
            self.key_light is None or isinstance(self.key_light, bool),
            "key_light must be true or false",
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


def output_size(long_side: int, aspect: str) -> tuple[int, int]:
    """Output (width, height) with ``long_side`` pixels on the longer side of ``aspect``;
    the short side is rounded to an even number (the video encoders need even sides)."""
    _check(aspect in ASPECTS, "aspect must be 16:9, 1:1 or 9:16")
    aw, ah = ASPECTS[aspect]
    short = 2 * round(long_side * min(aw, ah) / max(aw, ah) / 2)
    return (long_side, short) if aw >= ah else (short, long_side)

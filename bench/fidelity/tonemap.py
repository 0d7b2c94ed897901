"""Scene-referred linear RGBA → display PNG pixels, as the Khronos harnesses do it.

The reference renders linear light (Cycles' EXR); the real-time peers tone-map in their
shaders. To compare like with like the linear reference goes through the same curve the
peers use: three.js' ``ACESFilmicToneMapping`` (exposure × 1/0.6, the RRT+ODT fit between
its input and output matrices, clamp), then the sRGB transfer function. The generator's
own Cycles script (test/renderers/blender-cycles/render.py) uses that ACES curve but a
plain 2.2 gamma and tone-maps premultiplied colour; ``transfer="gamma22"`` reproduces the
gamma. This module runs both in the project's virtualenv and inside Blender's Python
(numpy only).
"""

from __future__ import annotations

import numpy as np

ACES_INPUT = np.array(
    [[0.59719, 0.07600, 0.02840], [0.35458, 0.90834, 0.13383], [0.04823, 0.01566, 0.83777]]
)
"""sRGB → AP1 with the RRT saturation, as a right-hand matrix (``rgb @ ACES_INPUT``)."""
ACES_OUTPUT = np.array(
    [[1.60475, -0.10208, -0.00327], [-0.53108, 1.10813, -0.07276], [-0.07367, -0.00605, 1.07602]]
)
"""ODT saturation, AP1 → sRGB, as a right-hand matrix."""
TONE_MAPPINGS = ("aces", "neutral", "none")
TRANSFERS = ("srgb", "gamma22")


def aces_filmic(rgb: np.ndarray, exposure: float = 1.0) -> np.ndarray:
    """three.js ACESFilmicToneMapping of linear ``rgb`` (…×3), clamped to 0..1."""
    x = np.asarray(rgb, np.float64) * (exposure / 0.6)
    x = x @ ACES_INPUT
    x = (x * (x + 0.0245786) - 0.000090537) / (x * (0.983729 * x + 0.4329510) + 0.238081)
    return np.clip(x @ ACES_OUTPUT, 0.0, 1.0)


def pbr_neutral(rgb: np.ndarray) -> np.ndarray:
    """Khronos PBR Neutral (meshfarm's default look) of linear ``rgb``, clamped to 0..1."""
    start, desaturation = 0.8 - 0.04, 0.15
    c = np.asarray(rgb, np.float64).copy()
    x = c.min(axis=-1, keepdims=True)
    c -= np.where(x < 0.08, x - 6.25 * x * x, 0.04)
    peak = c.max(axis=-1, keepdims=True)
    d = 1.0 - start
    new_peak = 1.0 - d * d / (peak + d - start)
    safe_peak = np.maximum(peak, 1e-12)
    g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0)
    rolled = c * (new_peak / safe_peak) * (1.0 - g) + new_peak * g
    return np.clip(np.where(peak < start, c, rolled), 0.0, 1.0)


def encode(rgb: np.ndarray, transfer: str = "srgb") -> np.ndarray:
    """Display-linear 0..1 → encoded 0..1 (sRGB piecewise curve or a 2.2 power)."""
    c = np.clip(rgb, 0.0, 1.0)
    if transfer == "gamma22":
        return np.power(c, 1.0 / 2.2)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)


def to_png_pixels(
    premultiplied: np.ndarray,
    tone_mapping: str = "aces",
    transfer: str = "srgb",
    exposure: float = 1.0,
) -> np.ndarray:
    """H×W×4 premultiplied linear float RGBA → H×W×4 uint8 straight-alpha sRGB.

    Colour is un-premultiplied before tone mapping (the curve is not linear, so edge
    pixels must be mapped at their surface colour, as a rasteriser's resolve does).
    """
    if tone_mapping not in TONE_MAPPINGS or transfer not in TRANSFERS:
        raise ValueError(f"tone mapping {tone_mapping!r} / transfer {transfer!r} unknown")
    img = np.asarray(premultiplied, np.float64)
    alpha = np.clip(img[..., 3:4], 0.0, 1.0)
    rgb = np.divide(img[..., :3], alpha, out=np.zeros_like(img[..., :3]), where=alpha > 1e-6)
    rgb = np.maximum(rgb, 0.0) * (exposure if tone_mapping != "aces" else 1.0)
    if tone_mapping == "aces":
        rgb = aces_filmic(rgb, exposure)
    elif tone_mapping == "neutral":
        rgb = pbr_neutral(rgb)
    out = np.concatenate([encode(rgb, transfer), alpha], axis=-1)
    return np.round(out * 255.0).astype(np.uint8)

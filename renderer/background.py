"""The frame's backdrop as an output-size RGBA8 image: background and vignette.

``bgColor`` fills the frame; a background image is scaled to cover it (keeping aspect)
and cropped from one of the nine ``bgAlign`` anchors, as the dx.gl overlay docs
describe. An image with alpha is laid over ``bgColor``. The vignette is applied here,
once per job, with the formula resolve.frag applies to the model's pixels.

With ``background_environment`` the backdrop is instead the environment map seen
through the camera, drawn on the GPU every frame (the camera moves):
:class:`EnvironmentBackground`.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np
from PIL import Image as PILImage

from renderer.camera import Camera
from renderer.gl_context import get_program, release, set_uniform
from renderer.lighting import EXPOSURE, TONE_MAPPING_CODES, Lighting
from renderer.settings import RenderSettings
from renderer.ssaa import Backdrop

ENV_MAP_UNIT = 0


def background_pixels(settings: RenderSettings) -> np.ndarray:
    """H×W×4 uint8, top row first, alpha 255."""
    w, h = settings.width, settings.height
    color = np.round(np.asarray(settings.bg_color) * 255.0).astype(np.uint8)
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = color
    out[..., 3] = 255
    if settings.bg_image is None:
        return out
    cropped = cover_crop(settings.bg_image, w, h, settings.bg_align)
    if cropped.shape[2] == 4:
        a = cropped[..., 3:4].astype(np.float32) / 255.0
        rgb = cropped[..., :3] * a + out[..., :3] * (1.0 - a)
        out[..., :3] = np.round(rgb).astype(np.uint8)
    else:
        out[..., :3] = cropped
    return out


def vignette_factor(width: int, height: int, vignette: float) -> np.ndarray:
    """H×W multiplier: ``1 − vignette · 0.65 · smoothstep(0.35, 1, r)`` at pixel centres,
    r = distance from the centre over the half diagonal (exactly 1 when vignette is 0)."""
    x = ((np.arange(width) + 0.5) / width) * 2.0 - 1.0
    y = ((np.arange(height) + 0.5) / height) * 2.0 - 1.0
    r = np.sqrt(x[None, :] ** 2 + y[:, None] ** 2) / np.sqrt(2.0)
    t = np.clip((r - 0.35) / 0.65, 0.0, 1.0)
    return 1.0 - vignette * 0.65 * t * t * (3.0 - 2.0 * t)


def backdrop_pixels(settings: RenderSettings) -> np.ndarray:
    """The background with the vignette applied: what frames show where the model is not."""
    pixels = background_pixels(settings)
    if settings.vignette > 0.0:
        factor = vignette_factor(settings.width, settings.height, settings.vignette)
        pixels[..., :3] = np.round(pixels[..., :3] * factor[..., None]).astype(np.uint8)
    return pixels


def cover_crop(image: np.ndarray, width: int, height: int, align: str) -> np.ndarray:
    """Scale ``image`` to cover width×height, then crop at anchor ``align``."""
    ih, iw = image.shape[:2]
    scale = max(width / iw, height / ih)
    sw, sh = max(width, round(iw * scale)), max(height, round(ih * scale))
    resized = np.asarray(PILImage.fromarray(image).resize((sw, sh), PILImage.Resampling.LANCZOS))
    vertical, _, horizontal = align.partition("-")
    if align == "center":
        vertical, horizontal = "center", "center"
    x0 = {"left": 0, "center": (sw - width) // 2, "right": sw - width}[horizontal]
    y0 = {"top": 0, "center": (sh - height) // 2, "bottom": sh - height}[vertical]
    return resized[y0 : y0 + height, x0 : x0 + width]


class EnvironmentBackground:
    """Draws the environment, as the camera sees it, into a :class:`Backdrop` per frame.

    Turned, scaled and tone-mapped like the light it casts, so the model sits in the
    world that lights it; vignetted like every backdrop.
    """

    def __init__(self, ctx: moderngl.Context, lighting: Lighting, vignette: float) -> None:
        self.ctx = ctx
        self.lighting = lighting
        self.vignette = vignette
        self._program = get_program(
            "fullscreen.vert",
            "environment_background.frag",
            {"TONE_MAPPING": TONE_MAPPING_CODES[lighting.tone_mapping]},
        )
        self._vao = ctx.vertex_array(self._program, [])

    def draw(self, backdrop: Backdrop, camera: Camera) -> None:
        ctx, program, lighting = self.ctx, self._program, self.lighting
        width, height = backdrop.texture.size
        c2w = camera.camera_to_world()
        tan_y = math.tan(math.radians(camera.fov_y) / 2.0)
        tan_x = tan_y * width / height
        basis = np.stack([c2w[:3, 0] * tan_x, c2w[:3, 1] * tan_y, -c2w[:3, 2]], axis=1)
        env = lighting.ibl.radiance
        # one output pixel spans 2·tan_y/height radians; the map has width/2π texels per radian
        lod = max(0.0, math.log2(max(2.0 * tan_y / height * env.width / (2.0 * math.pi), 1e-9)))
        backdrop.fbo.use()
        ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND)
        env.use(ENV_MAP_UNIT)
        set_uniform(program, "u_env_map", ENV_MAP_UNIT)
        set_uniform(program, "u_ray_basis", basis)
        set_uniform(program, "u_env_rotation", lighting.rotation_cs)
        set_uniform(program, "u_env_intensity", lighting.intensity)
        set_uniform(program, "u_exposure", EXPOSURE)
        set_uniform(program, "u_lod", lod)
        set_uniform(program, "u_vignette", self.vignette)
        set_uniform(program, "u_output_size", (float(width), float(height)))
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        release(self._vao)

"""One frame of a render to a PNG file, with no server: backs ``meshfarm render``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from renderer.frame_renderer import Renderer
from renderer.gltf_loader import load_scene
from renderer.settings import settings_from_dxgl


def render_png(
    model_path: Path,
    out_path: Path,
    settings: dict[str, Any],
    frame: int = 0,
    bg_image: np.ndarray | None = None,
) -> None:
    """Render frame ``frame`` of ``model_path`` with dx.gl ``settings`` into ``out_path``.

    The PNG has the tier's output size; it is RGBA for the transparent ``pro`` tier and
    RGB otherwise. Errors with the model raise :class:`renderer.SceneError` subclasses
    whose message is fit for the user.
    """
    scene = load_scene(model_path)
    render_settings = settings_from_dxgl(settings, bg_image=bg_image)
    with Renderer(render_settings) as renderer:
        pixels = renderer.render_frame(scene, frame)
    image = Image.fromarray(pixels, "RGBA")
    if not render_settings.transparent:
        image = image.convert("RGB")
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    image.save(out_path, format="PNG")

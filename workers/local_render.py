"""One frame to a PNG file, with no server: backs ``meshfarm render`` and
``meshfarm render-scenario``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from exchange.limits import AssetLimits
from renderer.environment import Environment
from renderer.frame_renderer import Renderer
from renderer.gltf_loader import load_scene
from renderer.scenario import parse_scenario, render_scenario
from workers.render_settings import render_settings
from workers.specs import RenderSpec


def render_png(
    model_path: Path,
    out_path: Path,
    spec: RenderSpec,
    frame: int = 0,
    bg_image: np.ndarray | None = None,
    environment: Environment | None = None,
    *,
    limits: AssetLimits,
) -> None:
    """Render frame ``frame`` of ``model_path`` (loaded under ``limits``) as ``spec`` asks
    into ``out_path``.

    ``bg_image`` / ``environment`` stand for the spec's overlays (local files, loaded).
    The PNG has the tier's output size; it is RGBA for a transparent (ProRes 4444) tier
    and RGB otherwise. Errors with the model raise :class:`renderer.SceneError`
    subclasses whose message is fit for the user.
    """
    scene = load_scene(model_path, limits)
    settings = render_settings(spec, bg_image=bg_image, environment=environment)
    with Renderer(settings) as renderer:
        pixels = renderer.render_frame(scene, frame)
    image = Image.fromarray(pixels, "RGBA")
    if not settings.transparent:
        image = image.convert("RGB")
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    image.save(out_path, format="PNG")


def render_scenario_png(config: Any) -> Path:
    """Render a Khronos fidelity scenario (``{"scenario", "outputFile"}``) to its PNG:
    RGBA, or RGB when the scenario shows the skybox (as the generator's backends write)."""
    scenario = parse_scenario(config)
    pixels = render_scenario(scenario)
    image = Image.fromarray(pixels, "RGBA")
    if scenario.render_skybox:
        image = image.convert("RGB")
    scenario.output.parent.mkdir(parents=True, exist_ok=True)
    image.save(scenario.output, format="PNG")
    return scenario.output

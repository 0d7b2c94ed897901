"""Pictures for the carving tests, drawn by meshfarm's own renderer.

The documented views (front from +Z, right from −X, back from −Z, left from +X), level
with the model's centre, through a 10° lens (close to the orthographic camera carving
assumes), on a plain slate backdrop, no ground or shadow. The same cameras, framed on
the result's own bounds, draw the carved GLB back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from renderer import Camera, Renderer, RenderSettings, load_scene

ASSETS = Path(__file__).resolve().parents[1] / "assets"
BACKDROP = (64, 77, 89)
DIRECTIONS = {
    "front": (0.0, 0.0, 1.0),
    "right": (-1.0, 0.0, 0.0),
    "back": (0.0, 0.0, -1.0),
    "left": (1.0, 0.0, 0.0),
}
LENS_DEG = 10.0


def render_views(model: Path, size: int = 512) -> dict[str, np.ndarray]:
    """The four documented views of ``model`` as (size, size, 3) uint8 pictures."""
    lo, hi = trimesh.load(model).bounds
    centre, radius = (lo + hi) / 2.0, float(np.linalg.norm(hi - lo)) / 2.0
    distance = 1.1 * radius / np.sin(np.radians(LENS_DEG / 2.0))
    scene = load_scene(model)
    settings = RenderSettings(
        width=size, height=size, aspect="1:1", bg_color=tuple(c / 255 for c in BACKDROP)
    )
    out = {}
    with Renderer(settings) as renderer:
        for name, direction in DIRECTIONS.items():
            camera = Camera(
                position=tuple(centre + distance * np.asarray(direction)),
                target=tuple(centre),
                fov_y=LENS_DEG,
                aspect=1.0,
                near=distance - 1.5 * radius,
                far=distance + 1.5 * radius,
            )
            out[name] = renderer.render_view(scene, camera)[..., :3]
    return out


def foreground(picture: np.ndarray) -> np.ndarray:
    """The test's own cut-out: anything visibly off the backdrop's colour."""
    return np.linalg.norm(picture.astype(float) - BACKDROP, axis=2) > 30


@pytest.fixture(scope="session")
def views(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[Path]]:
    """``views("Duck.glb")``: the four pictures as PNG files, front, right, back, left."""
    cache: dict[str, list[Path]] = {}

    def pictures(name: str) -> list[Path]:
        if name not in cache:
            folder = tmp_path_factory.mktemp(name.split(".")[0])
            cache[name] = []
            for view, picture in render_views(ASSETS / name).items():
                path = folder / f"{view}.png"
                Image.fromarray(picture).save(path)
                cache[name].append(path)
        return cache[name]

    return pictures

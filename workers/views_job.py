"""A model's canonical views: six stills and a thumbnail from one renderer.

Views (output names, the broker's contract): ``front`` (the camera on +Z looking at the
model's front, glTF's forward), ``back`` (on −Z), ``left`` (on +X: the model's own left
side, glTF's −X being its right), ``right`` (on −X), ``top`` (on +Y looking down, the
front at the bottom of the picture) and ``three_quarter`` (30° towards the model's left
and 30° up, the familiar product shot); ``thumbnail`` is the three-quarter view scaled
down. Each view is the model's rest pose in its own coordinates, seen by a pinhole
15° camera whose distance fits the model's vertices in that direction (a 10 % margin at the
tighter edge), lit by the studio environment with no ground, shadow or reflection,
on white: RGB PNGs, 1024×1024 (the thumbnail 512×512).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from exchange.limits import AssetLimits
from renderer import Renderer, Scene
from renderer.animation import evaluate_pose
from renderer.camera import Camera
from renderer.camera_path import FILL
from renderer.framing import posed_points
from workers import scene_cache
from workers.config import Settings
from workers.job_events import JobRun
from workers.job_inputs import fetch_model, model_input
from workers.jobs import Asset
from workers.render_settings import render_settings
from workers.specs import RenderSpec, ViewsSpec

VIEW_SIZE = 1024
THUMBNAIL_SIZE = 512
THUMBNAIL = "thumbnail"
THUMBNAIL_OF = "three_quarter"
FOV_Y = 15.0
"""A long lens (the videos use 30°): near-orthographic views, where the nearer half of a
model is barely drawn larger than the farther, so opposite views mirror each other."""


@dataclass(frozen=True)
class View:
    """Where the camera stands (a direction from the model's centre) and which way is up."""

    name: str
    direction: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)


def _orbit(azimuth: float, elevation: float) -> tuple[float, float, float]:
    """A direction as the camera paths spell it: azimuth 0 on +Z, positive towards +X."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return (math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el))


VIEWS: tuple[View, ...] = (
    View("front", (0.0, 0.0, 1.0)),
    View("back", (0.0, 0.0, -1.0)),
    View("left", (1.0, 0.0, 0.0)),
    View("right", (-1.0, 0.0, 0.0)),
    View("top", (0.0, 1.0, 0.0), up=(0.0, 0.0, -1.0)),
    View("three_quarter", _orbit(30.0, 30.0)),
)
"""In the order a client indexes them (0..5)."""


def rest_points(scene: Scene) -> np.ndarray:
    """The model's vertices in its rest pose and own coordinates (what the views frame)."""
    pose = evaluate_pose(scene, None, 0.0, np.eye(4))
    parts = [pts for pts in posed_points(scene, pose) if len(pts)]
    return np.concatenate(parts) if parts else np.zeros((1, 3))


def view_camera(view: View, points: np.ndarray, aspect: float = 1.0) -> Camera:
    """The camera of ``view``, aimed at the centre of ``points``' bounding box, at the
    nearest distance where every point projects inside FILL of the frame (a point nearer
    the camera needs more room). The distance is the same from the opposite direction (a
    point's depth counts either way), so opposite views are mirror images at one scale."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = (lo + hi) / 2.0
    back = np.asarray(view.direction, dtype=np.float64)
    back /= np.linalg.norm(back)
    right = np.cross(-back, np.asarray(view.up, dtype=np.float64))
    right /= np.linalg.norm(right)
    up = np.cross(right, -back)
    rel = points - center
    tan_y = math.tan(math.radians(FOV_Y) / 2.0) * FILL
    tan_x = tan_y * aspect
    need = np.maximum(np.abs(rel @ right) / tan_x, np.abs(rel @ up) / tan_y)
    radius = max(float(np.sqrt((rel**2).sum(axis=1).max())), 1e-6)
    distance = max(float((np.abs(rel @ back) + need).max()), 1e-3 * radius)
    return Camera(
        position=tuple(float(v) for v in center + distance * back),  # type: ignore[arg-type]
        target=tuple(float(v) for v in center),  # type: ignore[arg-type]
        up=view.up,
        fov_y=FOV_Y,
        aspect=aspect,
        near=max(distance - 2.0 * radius, 0.02 * distance),
        far=distance + 5.0 * radius,
    )


def render_views(scene: Scene, out_dir: Path, model_id: str = "views") -> dict[str, Path]:
    """Every view and the thumbnail of ``scene`` as PNGs in ``out_dir``, by output name."""
    spec = RenderSpec(model_id=model_id, aspect="1:1", shadows=False)
    settings = replace(render_settings(spec), width=VIEW_SIZE, height=VIEW_SIZE)
    points = rest_points(scene)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    with Renderer(settings) as renderer:
        for view in VIEWS:
            pixels = renderer.render_view(scene, view_camera(view, points))
            image = Image.fromarray(pixels, "RGBA").convert("RGB")
            files[view.name] = out_dir / f"{view.name}.png"
            image.save(files[view.name], format="PNG")
            if view.name == THUMBNAIL_OF:
                small = image.resize((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
                files[THUMBNAIL] = out_dir / f"{THUMBNAIL}.png"
                small.save(files[THUMBNAIL], format="PNG")
    return files


def run_views(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    (run,) = runs  # one job per model file: never batched
    spec = run.assignment.spec
    assert isinstance(spec, ViewsSpec), spec.kind
    model = model_input(run.assignment.inputs)
    scene = scene_cache.load(
        model.key,
        lambda: fetch_model(model, run.store, workdir, run.timings),
        AssetLimits.from_settings(settings),
    )
    started = time.monotonic()
    files = render_views(scene, workdir / "views", spec.model_id)
    run.timings["render"] = time.monotonic() - started
    assets: dict[str, Asset] = {name: run.upload(path, "image/png") for name, path in files.items()}
    run.done(assets, THUMBNAIL)

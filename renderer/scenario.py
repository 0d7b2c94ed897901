"""A Khronos glTF-Render-Fidelity scenario: the JSON a CLI renderer backend is called with.

The generator (KhronosGroup/glTF-Render-Fidelity-Generator, test/README.md, "Adding CLI
renderer backends") appends ``{"scenario": {...}, "outputFile": ...}`` as the last
argument. Its camera is model-viewer's orbit: ``theta`` is the azimuth about +Y measured
from +Z towards +X, ``phi`` the polar angle from +Y, ``radius`` the distance from
``target``, ``verticalFoV`` in degrees. Relative paths are resolved the way that
project's own backends do: against the working directory, else against the output
file's folder (its scenarios say ``../../../glTF-Sample-Assets/...`` from
``test/goldens/<name>/``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from renderer.animation import evaluate_pose
from renderer.camera import Camera
from renderer.environment import Environment, load_environment
from renderer.errors import InvalidSettings
from renderer.framing import posed_points
from renderer.limits import MAX_OUTPUT_SIDE
from renderer.scene import Scene
from renderer.settings import RenderSettings

DEFAULT_FOV = 45.0
MAX_SIDE = MAX_OUTPUT_SIDE // 2
"""Largest scenario side; the PNG is twice that, as the generator's other backends write."""


@dataclass(frozen=True)
class Scenario:
    name: str
    model: Path
    lighting: Path | None
    """None: the built-in studio environment."""
    width: int
    height: int
    target: tuple[float, float, float]
    theta: float
    phi: float
    radius: float
    vertical_fov: float
    render_skybox: bool
    output: Path

    def direction(self) -> np.ndarray:
        """Unit vector from the target towards the camera."""
        t, p = math.radians(self.theta), math.radians(self.phi)
        return np.array([math.sin(p) * math.sin(t), math.cos(p), math.sin(p) * math.cos(t)])

    def camera(self, scene_radius: float) -> Camera:
        """The scenario's camera; clip planes from the orbit and the scene's size.

        ``radius`` 0 (a camera inside the scene, as Sponza's scenario has) still looks
        along −direction: the target is moved one unit ahead of the eye.
        """
        target = np.asarray(self.target, dtype=np.float64)
        d = self.direction()
        eye = target + self.radius * d
        look_at = target if self.radius > 0 else eye - d
        reach = max(self.radius, scene_radius, 1e-5)
        return Camera(
            position=(float(eye[0]), float(eye[1]), float(eye[2])),
            target=(float(look_at[0]), float(look_at[1]), float(look_at[2])),
            fov_y=self.vertical_fov,
            aspect=self.width / self.height,
            near=2 * reach / 1000 if self.radius > 0 else reach / 10_000,
            far=4 * reach + self.radius,
        )


def _number(value: Any, what: str, default: float | None = None) -> float:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidSettings(f"scenario {what} must be a finite number")
    return float(value)


def _path(value: Any, what: str, output: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise InvalidSettings(f"scenario.{what} must be a file path")
    raw = Path(value)
    for candidate in (raw, output.parent / raw) if not raw.is_absolute() else (raw,):
        if candidate.is_file():
            return candidate.resolve()
    raise InvalidSettings(f"scenario.{what} {value!r}: no such file")


def parse_scenario(config: Any) -> Scenario:
    """Validate the generator's ``{"scenario", "outputFile"}`` object (InvalidSettings)."""
    if not isinstance(config, dict) or not isinstance(config.get("scenario"), dict):
        raise InvalidSettings('expected a JSON object {"scenario": {...}, "outputFile": "..."}')
    out = config.get("outputFile")
    if not isinstance(out, str) or not out:
        raise InvalidSettings("outputFile must be a file path")
    output = Path(out)
    s = config["scenario"]
    dims = s.get("dimensions") or {}
    target = s.get("target") or {}
    orbit = s.get("orbit") or {}
    if not all(isinstance(x, dict) for x in (dims, target, orbit)):
        raise InvalidSettings("scenario dimensions, target and orbit must be objects")
    width = _number(dims.get("width"), "dimensions.width")
    height = _number(dims.get("height"), "dimensions.height")
    sizes_ok = all(v.is_integer() and 1 <= v <= MAX_SIDE for v in (width, height))
    if not sizes_ok:
        raise InvalidSettings(f"scenario dimensions must be whole numbers of pixels, 1-{MAX_SIDE}")
    fov = _number(s.get("verticalFoV"), "verticalFoV", DEFAULT_FOV)
    if not 1.0 <= fov <= 170.0:
        raise InvalidSettings("scenario verticalFoV must be between 1 and 170 degrees")
    radius = _number(orbit.get("radius"), "orbit.radius")
    if radius < 0:
        raise InvalidSettings("scenario orbit.radius must not be negative")
    skybox = s.get("renderSkybox", False)
    if not isinstance(skybox, bool):
        raise InvalidSettings("scenario renderSkybox must be true or false")
    return Scenario(
        name=str(s.get("name") or "scenario"),
        model=_path(s.get("model"), "model", output),
        lighting=None if s.get("lighting") is None else _path(s["lighting"], "lighting", output),
        width=int(width),
        height=int(height),
        target=(
            _number(target.get("x"), "target.x", 0.0),
            _number(target.get("y"), "target.y", 0.0),
            _number(target.get("z"), "target.z", 0.0),
        ),
        theta=_number(orbit.get("theta"), "orbit.theta", 0.0),
        phi=_number(orbit.get("phi"), "orbit.phi", 90.0),
        radius=radius,
        vertical_fov=fov,
        render_skybox=skybox,
        output=output,
    )


def scenario_settings(scenario: Scenario, environment: Environment | None) -> RenderSettings:
    """Lit only by the scenario's map (no key light, no ground), ACES, at 2× the
    dimensions (and 2× SSAA inside, as every tier); transparent unless ``renderSkybox``."""
    return RenderSettings(
        width=2 * scenario.width,
        height=2 * scenario.height,
        aspect="16:9",
        length=1.0,
        shadows=False,
        reflector=False,
        transparent=not scenario.render_skybox,
        environment=environment if environment is not None else "studio",
        tone_mapping="aces",
        key_light=False,
        background_environment=scenario.render_skybox,
    )


def render_scenario(scenario: Scenario) -> np.ndarray:
    """The scenario's frame: 2·height × 2·width × 4 uint8 RGBA (straight alpha)."""
    from renderer.frame_renderer import Renderer
    from renderer.gltf_loader import load_scene

    scene = load_scene(scenario.model)
    environment = None if scenario.lighting is None else load_environment(scenario.lighting)
    settings = scenario_settings(scenario, environment)
    with Renderer(settings) as renderer:
        return renderer.render_view(scene, scenario.camera(_rest_radius(scene)))


def _rest_radius(scene: Scene) -> float:
    """Radius of the rest pose's bounding sphere about its box centre (for clip planes)."""
    parts = list(posed_points(scene, evaluate_pose(scene, None, 0.0)))
    if not parts:
        return 1.0
    points = np.concatenate(parts)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    return float(np.linalg.norm(points - centre, axis=1).max())

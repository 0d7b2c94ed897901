"""The Khronos fidelity scenario JSON: validation, paths and model-viewer's orbit camera."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from renderer.errors import InvalidSettings
from renderer.scenario import parse_scenario

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _config(tmp_path: Path, **scenario: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "khronos-Duck",
        "model": str(ASSETS / "Duck.glb"),
        "dimensions": {"width": 64, "height": 48},
        "target": {"x": 0, "y": 0.5, "z": 0},
        "orbit": {"theta": 0, "phi": 90, "radius": 3},
        "verticalFoV": 45,
        "renderSkybox": False,
    }
    base.update(scenario)
    return {"scenario": base, "outputFile": str(tmp_path / "out" / "golden.png")}


@pytest.mark.parametrize(
    ("theta", "phi", "expected"),
    [(0, 90, (0, 0, 1)), (90, 90, (1, 0, 0)), (-90, 90, (-1, 0, 0)), (0, 0, (0, 1, 0))],
)
def test_orbit_is_model_viewers(tmp_path: Path, theta: float, phi: float, expected: Any) -> None:
    s = parse_scenario(_config(tmp_path, orbit={"theta": theta, "phi": phi, "radius": 3}))
    cam = s.camera(scene_radius=1.0)
    eye = np.asarray(cam.position) - np.asarray(s.target)
    np.testing.assert_allclose(eye, 3 * np.asarray(expected, float), atol=1e-9)
    assert cam.target == s.target
    assert cam.fov_y == 45 and cam.aspect == pytest.approx(64 / 48)


def test_radius_zero_still_looks_along_the_orbit(tmp_path: Path) -> None:
    s = parse_scenario(_config(tmp_path, orbit={"theta": 90, "phi": 90, "radius": 0}))
    cam = s.camera(scene_radius=10.0)
    forward = np.asarray(cam.target) - np.asarray(cam.position)
    np.testing.assert_allclose(forward, [-1, 0, 0], atol=1e-9)
    assert 0 < cam.near < cam.far


def test_relative_paths_resolve_against_the_output_folder(tmp_path: Path) -> None:
    out_dir = tmp_path / "test" / "goldens" / "khronos-Duck"
    out_dir.mkdir(parents=True)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "Duck.glb").write_bytes((ASSETS / "Duck.glb").read_bytes())
    config = _config(tmp_path, model="../../../models/Duck.glb")
    config["outputFile"] = str(out_dir / "meshfarm-golden.png")
    assert parse_scenario(config).model == (tmp_path / "models" / "Duck.glb").resolve()


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"model": "nope.glb"}, "no such file"),
        ({"dimensions": {"width": 0, "height": 10}}, "dimensions"),
        ({"dimensions": {"width": 10.5, "height": 10}}, "dimensions"),
        ({"orbit": {"radius": -1}}, "radius"),
        ({"orbit": {"radius": "far"}}, "radius"),
        ({"verticalFoV": 0}, "verticalFoV"),
        ({"renderSkybox": "yes"}, "renderSkybox"),
    ],
)
def test_bad_scenarios_are_refused_with_a_reason(
    tmp_path: Path, patch: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidSettings, match=message):
        parse_scenario(_config(tmp_path, **patch))


def test_not_a_scenario_object() -> None:
    with pytest.raises(InvalidSettings, match="scenario"):
        parse_scenario(json.loads('["scenario"]'))

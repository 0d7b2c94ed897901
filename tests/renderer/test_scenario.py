"""The Khronos fidelity scenario JSON: validation, paths and model-viewer's orbit camera."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from broker.cli import app as cli
from renderer.errors import InvalidSettings
from renderer.scenario import parse_scenario
from workers.local_render import render_scenario_png

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


def _render_config(tmp_path: Path, **scenario: Any) -> dict[str, Any]:
    config = _config(tmp_path, **scenario)
    config["scenario"]["lighting"] = str(ASSETS / "environments" / "chinese_garden_1k.hdr")
    return config


@pytest.mark.parametrize("orbit", [{"theta": 0, "phi": 90}, {"theta": -35, "phi": 60}])
def test_the_silhouette_is_the_orbit_cameras(  # type: ignore[no-untyped-def]
    tmp_path: Path, orbit: dict[str, float], scene, rest_mesh, raycast_mask
) -> None:
    """The rendered alpha is the model seen from the scenario's camera, by an independent
    ray cast of the rest pose in the model's own units (no staging, no ground)."""
    config = _render_config(
        tmp_path, dimensions={"width": 80, "height": 60}, orbit={**orbit, "radius": 2.7}
    )
    config["scenario"]["target"] = {"x": 0, "y": 0.86, "z": 0}
    out = render_scenario_png(config)
    image = np.asarray(Image.open(out))
    assert image.shape == (120, 160, 4)  # 2× the dimensions, with alpha
    s = parse_scenario(config)
    cam = s.camera(scene_radius=1.0)
    truth = raycast_mask(rest_mesh(scene("Duck.glb")), cam, 160, 120)
    drawn = image[..., 3] > 127
    iou = (drawn & truth).sum() / (drawn | truth).sum()
    assert iou > 0.97, iou
    assert image[0, 0, 3] == 0


def test_the_skybox_is_the_hdr_and_the_png_is_rgb(tmp_path: Path) -> None:
    config = _render_config(tmp_path, renderSkybox=True, dimensions={"width": 40, "height": 30})
    out = render_scenario_png(config)
    with Image.open(out) as img:
        assert img.mode == "RGB" and img.size == (80, 60)
        pixels = np.asarray(img).astype(int)
    assert pixels[:5].std() > 3  # a garden, not a flat colour behind the duck


def test_cli_writes_the_output_file_or_exits_1(tmp_path: Path) -> None:
    config = _render_config(tmp_path, dimensions={"width": 32, "height": 32})
    result = CliRunner().invoke(cli, ["render-scenario", json.dumps(config)])
    assert result.exit_code == 0, result.output
    assert Path(config["outputFile"]).is_file()
    bad = CliRunner().invoke(cli, ["render-scenario", "{not json"])
    assert bad.exit_code == 1 and "not valid JSON" in bad.output
    missing = dict(config, scenario={**config["scenario"], "model": "gone.glb"})
    bad = CliRunner().invoke(cli, ["render-scenario", json.dumps(missing)])
    assert bad.exit_code == 1 and "no such file" in bad.output

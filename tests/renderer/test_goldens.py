"""Golden frames of real assets on llvmpipe: the next shader change that shifts a colour fails.

Physics tests (tests/renderer/test_colour_truth.py) prove the lighting is right in
principle; these pin the exact look of real models under the default settings. Each
frame is compared with its PNG in ``goldens/`` within a small tolerance (llvmpipe is
deterministic on one driver; the slack is for another Mesa build). On a mismatch the
rendered frame and an amplified diff are written to ``golden_failures/`` (git-ignored)
so a person can look. After an intended change of look, regenerate with
``MESHFARM_UPDATE_GOLDENS=1 .venv/bin/pytest tests/renderer/test_goldens.py`` and look
at every PNG before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from renderer import Renderer, RenderSettings, Scene

GOLDENS = Path(__file__).parent / "goldens"
FAILURES = Path(__file__).parent / "golden_failures"
UPDATE = os.environ.get("MESHFARM_UPDATE_GOLDENS") == "1"

MEAN_ABS_LEVELS = 0.6
"""Mean |difference| over every channel of every pixel, in 8-bit levels."""
OUTLIER_LEVELS, OUTLIER_FRACTION = 12, 0.003
"""At most 0.3 % of pixels may differ by more than 12 levels (edge pixels on another Mesa)."""
CAST_LEVELS = 0.5
"""Mean signed difference per channel over the model's pixels: a colour cast, however
faint, moves one channel's mean; noise does not."""

CASES: dict[str, tuple[str, dict[str, Any], int]] = {
    "duck": ("Duck.glb", {}, 12),
    "box_textured": ("BoxTextured.glb", {}, 20),
    "fox": ("Fox.glb", {}, 8),
    "milk_truck": ("CesiumMilkTruck.glb", {"bgColor": "#d0d8e0"}, 4),
    "box_textured_square_transparent": ("BoxTextured.glb", {"transparent": True}, 5),
}


def _settings(overrides: dict[str, Any]) -> RenderSettings:
    base: dict[str, Any] = {"width": 256, "height": 144, "length": 1.0}
    if "bgColor" in overrides:
        value = overrides["bgColor"].lstrip("#")
        base["bg_color"] = tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    if overrides.get("transparent"):
        base.update(transparent=True, width=160, height=160, aspect="1:1")
    return RenderSettings(**base)


def _write_failure(name: str, frame: np.ndarray, golden: np.ndarray) -> Path:
    FAILURES.mkdir(exist_ok=True)
    Image.fromarray(frame).save(FAILURES / f"{name}.actual.png")
    diff = np.abs(frame.astype(np.int16) - golden.astype(np.int16))[..., :3]
    Image.fromarray(np.clip(diff * 8, 0, 255).astype(np.uint8)).save(FAILURES / f"{name}.diff.png")
    return FAILURES


@pytest.mark.parametrize("name", sorted(CASES))
def test_frame_matches_its_golden(name: str, scene: Callable[[str], Scene]) -> None:
    asset, overrides, frame_index = CASES[name]
    with Renderer(_settings(overrides)) as renderer:
        frame = renderer.render_frame(scene(asset), frame_index)
    path = GOLDENS / f"{name}.png"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden {path.name}: run with MESHFARM_UPDATE_GOLDENS=1 and look at it")
        Image.fromarray(frame).save(path, optimize=True)
        return
    golden = np.asarray(Image.open(path).convert("RGBA"))
    assert frame.shape == golden.shape
    delta = frame.astype(np.float64) - golden.astype(np.float64)
    model = np.abs(golden[..., :3].astype(np.int16) - golden[0, 0, :3]).max(axis=-1) > 2
    model |= golden[..., 3] != golden[0, 0, 3]
    mean_abs = float(np.abs(delta).mean())
    outliers = float((np.abs(delta).max(axis=-1) > OUTLIER_LEVELS).mean())
    cast = [float(delta[..., c][model].mean()) for c in range(3)] if model.any() else [0.0]
    ok = (
        mean_abs <= MEAN_ABS_LEVELS
        and outliers <= OUTLIER_FRACTION
        and max(abs(c) for c in cast) <= CAST_LEVELS
    )
    report = f"mean |d| {mean_abs:.3f}, outliers {outliers:.4f}, cast {[round(c, 2) for c in cast]}"
    if not ok:
        where = _write_failure(name, frame, golden)
        pytest.fail(f"{name} differs from its golden: {report}; frame and diff in {where}")

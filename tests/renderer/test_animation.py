"""Keyframe sampling and animated renders."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from renderer import Renderer, RenderSettings, Scene
from renderer.animation import clip_time, sample_channel
from renderer.scene import Animation, Channel


def channel(path: str, interp: str, values: list[list[float]], times: list[float]) -> Channel:
    return Channel(0, path, np.array(times, np.float32), np.array(values, np.float32), interp)


def test_linear_step_and_clamping() -> None:
    ch = channel("translation", "LINEAR", [[0, 0, 0], [2, 4, 6]], [1.0, 2.0])
    assert np.allclose(sample_channel(ch, 1.5), [1, 2, 3])
    assert np.allclose(sample_channel(ch, 0.0), [0, 0, 0])
    assert np.allclose(sample_channel(ch, 9.0), [2, 4, 6])
    step = channel("translation", "STEP", [[0, 0, 0], [2, 4, 6]], [1.0, 2.0])
    assert np.allclose(sample_channel(step, 1.99), [0, 0, 0])


def test_rotation_slerp_takes_the_short_way() -> None:
    s = np.sin(np.pi / 4)
    ch = channel("rotation", "LINEAR", [[0, 0, 0, 1], [0, s, 0, s]], [0.0, 1.0])
    q = sample_channel(ch, 0.5)
    assert np.allclose(q, [0, np.sin(np.pi / 8), 0, np.cos(np.pi / 8)], atol=1e-6)
    flipped = channel("rotation", "LINEAR", [[0, 0, 0, 1], [0, -s, 0, -s]], [0.0, 1.0])
    assert np.allclose(np.abs(sample_channel(flipped, 0.5)), np.abs(q), atol=1e-6)


def test_cubic_spline_hits_keys_and_uses_tangents() -> None:
    # keys (in-tangent, value, out-tangent) with zero tangents: smoothstep between values
    values = [[0.0], [0.0], [0.0], [0.0], [1.0], [0.0]]
    ch = channel("weights", "CUBICSPLINE", values, [0.0, 1.0])
    assert sample_channel(ch, 0.0)[0] == pytest.approx(0.0)
    assert sample_channel(ch, 1.0)[0] == pytest.approx(1.0)
    assert sample_channel(ch, 0.5)[0] == pytest.approx(0.5)
    assert sample_channel(ch, 0.25)[0] == pytest.approx(3 * 0.25**2 - 2 * 0.25**3)


def test_clip_time_loops_and_scales() -> None:
    anim = Animation("a", [channel("translation", "LINEAR", [[0, 0, 0], [1, 1, 1]], [0.0, 2.0])])
    assert clip_time(anim, 3.0, 1.0) == pytest.approx(1.0)
    assert clip_time(anim, 3.0, 0.5) == pytest.approx(1.5)
    assert clip_time(None, 3.0, 1.0) == 0.0


@pytest.mark.parametrize(
    ("name", "clip"),
    [
        ("Fox.glb", "Walk"),
        ("CesiumMilkTruck.glb", "*"),
        ("AnimatedMorphCube.zip", "Square"),
        ("CesiumMan.zip", "*"),
    ],
)
def test_animated_assets_change_under_a_fixed_camera(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings], name: str, clip: str
) -> None:
    # Turntable frames 0 and N share the camera; only the clip time differs.
    settings = small(animation=clip, length=1.1)
    with Renderer(settings) as r:
        a = r.render_frame(scene(name), 0)
        b = r.render_frame(scene(name), settings.frame_count)
    assert np.mean(a != b) > 0.001


def test_static_asset_does_not_change_under_a_fixed_camera(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    settings = small(animation="*", length=1.1)
    with Renderer(settings) as r:
        a = r.render_frame(scene("Duck.glb"), 0)
        b = r.render_frame(scene("Duck.glb"), settings.frame_count)
    assert np.array_equal(a, b)

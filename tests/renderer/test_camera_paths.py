"""Camera paths: loops, endings, framing for every effect, aspect and frame."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from renderer import CameraPath, Renderer, RenderSettings, Scene
from renderer.animation import clip_time, evaluate_pose
from renderer.camera_path import hero_progress
from renderer.framing import posed_points, stage

EFFECTS = ("turntable", "hero-spin", "showcase", "zoom-orbit", "reveal")


def test_turntable_frame_n_equals_frame_0(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    settings = small(rotate_y=20, reflector=True)
    with Renderer(settings) as r:
        first = r.render_frame(scene("Duck.glb"), 0)
        middle = r.render_frame(scene("Duck.glb"), settings.frame_count // 2)
        last = r.render_frame(scene("Duck.glb"), settings.frame_count)
    assert np.array_equal(first, last)
    assert not np.array_equal(first, middle)


def test_hero_spin_ends_at_the_front(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    hero = small(effect="hero-spin")
    front = small(effect="turntable")
    with Renderer(hero) as r:
        end = r.render_frame(scene("Duck.glb"), hero.frame_count - 1)
        path = r.camera_path(scene("Duck.glb"))
    with Renderer(front) as r:
        start = r.render_frame(scene("Duck.glb"), 0)
    assert path.azimuth(hero.frame_count - 1) % 360 == pytest.approx(0.0)
    assert path.azimuth(0) == pytest.approx(-540.0)
    assert np.array_equal(end, start)


def test_hero_progress_is_monotonic_and_continuous() -> None:
    ts = np.linspace(0, 1, 1001)
    p = np.array([hero_progress(t, 0.6) for t in ts])
    assert p[0] == 0 and p[-1] == pytest.approx(1.0)
    assert np.all(np.diff(p) >= 0)
    assert np.max(np.diff(p)) < 0.003  # no jumps


def test_effect_endpoints(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    duck = scene("Duck.glb")
    for effect in EFFECTS:
        s = small(effect=effect, rotate_y=45)
        _, bounds = stage(duck, s)
        path = CameraPath(s, bounds)
        last = s.frame_count - 1
        if effect in ("hero-spin", "reveal", "showcase"):
            assert path.azimuth(last) % 360 == pytest.approx(45.0), effect
        if effect == "reveal":
            assert path.model_scale(0) == 0.0 and path.model_scale(last) == 1.0
        if effect == "zoom-orbit":
            assert path.distance(last) == pytest.approx(0.7 * path.distance(0))


@pytest.mark.parametrize("aspect", ["16:9", "1:1", "9:16"])
@pytest.mark.parametrize("name", ["Fox.glb", "CesiumMilkTruck.glb", "AlphaBlendModeTest.glb"])
def test_model_stays_inside_every_frame(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings], aspect: str, name: str
) -> None:
    """Project every posed vertex of every frame of every effect: all inside the frame."""
    s_scene = scene(name)
    for effect in ("turntable", "hero-spin", "showcase", "reveal"):
        s = small(effect=effect, aspect=aspect, animation="*", length=2.0, tilt_x=15)
        root, bounds = stage(s_scene, s)
        path = CameraPath(s, bounds)
        anim = s_scene.find_animation(s.animation)
        worst = 0.0
        for frame in range(s.frame_count):
            cam = path.camera(frame)
            t = clip_time(anim, frame / s.fps, s.animation_speed)
            pose = evaluate_pose(s_scene, anim, t, path.model_matrix(frame) @ root)
            pts = np.concatenate(list(posed_points(s_scene, pose)))
            clip = np.c_[pts, np.ones(len(pts))] @ (cam.projection_matrix() @ cam.view_matrix()).T
            ndc = clip[:, :2] / clip[:, 3:4]
            worst = max(worst, float(np.abs(ndc).max()))
        assert worst <= 0.95, (effect, worst)
        assert worst >= 0.45, (effect, worst)  # and the model is not tiny


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_rendered_border_stays_empty(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings], aspect: str
) -> None:
    s = small(
        effect="turntable",
        aspect=aspect,
        animation="Walk",
        transparent=True,
        shadows=False,
        length=0.5,
    )
    with Renderer(s) as r:
        for frame in r.frames(scene("Fox.glb")):
            alpha = frame[..., 3]
            border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
            assert border.max() == 0

"""``render_png`` (behind ``meshfarm render``) and the renderer's job hygiene."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image

from exchange import AssetLimits
from renderer import InvalidModel, Renderer, RenderSettings, RenderTimeout, Scene
from renderer.gl_context import get_context
from workers.local_render import render_png
from workers.specs import RenderSpec

LIMITS = AssetLimits()


def test_render_png_writes_the_tier_size(asset: Callable[[str], Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "duck.png"
    spec = RenderSpec(model_id="m", aspect="9:16", bg_color="#102030")
    render_png(asset("Duck.glb"), out, spec, frame=3, limits=LIMITS)
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (540, 960) and img.mode == "RGB"
        assert img.getpixel((0, 0)) == (16, 32, 48)


def test_render_png_pro_tier_keeps_alpha(asset: Callable[[str], Path], tmp_path: Path) -> None:
    out = tmp_path / "pro.png"
    render_png(asset("BoxTextured.glb"), out, RenderSpec(model_id="m", tier="pro"), limits=LIMITS)
    with Image.open(out) as img:
        assert img.size == (3840, 2160) and img.mode == "RGBA"
        corner = img.getpixel((0, 0))
        assert isinstance(corner, tuple) and corner[3] == 0


def test_render_png_reports_bad_models(asset: Callable[[str], Path], tmp_path: Path) -> None:
    with pytest.raises(InvalidModel):
        render_png(
            asset("bad/invalid_magic.glb"),
            tmp_path / "x.png",
            RenderSpec(model_id="m"),
            limits=LIMITS,
        )


def test_time_limit(scene: Callable[[str], Scene], small: Callable[..., RenderSettings]) -> None:
    with Renderer(small(), time_limit_s=0.0) as r, pytest.raises(RenderTimeout):
        next(iter(r.frames(scene("Duck.glb"))))


def test_many_jobs_do_not_grow_memory(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    ctx = get_context()
    names = ["Duck.glb", "Fox.glb", "BoxTextured.glb", "AnimatedMorphCube.zip"]

    def one_round() -> None:
        for name in names:
            with Renderer(small(animation="*", length=0.1, width=640, height=360)) as r:
                for _ in r.frames(scene(name)):
                    pass

    # llvmpipe keeps textures and framebuffers in process memory: a job that leaked its
    # ≈15 MB of targets and textures would add ≈240 MB over these 16 jobs, while the
    # allocator's high-water mark settles within ≈60 MB.
    process = psutil.Process()
    for _ in range(2):
        one_round()  # warm: programs and the IBL are created once per process
    rss_before = process.memory_info().rss
    for _ in range(4):
        one_round()
    assert process.memory_info().rss - rss_before < 100 * 1024 * 1024
    assert ctx.error == "GL_NO_ERROR"


def test_consecutive_renderers_of_one_scene_share_its_upload_safely(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    duck = scene("Duck.glb")
    with Renderer(small()) as r:
        first = r.render_frame(duck, 5)
        gpu = r._job.gpu if r._job else None
    with Renderer(small(bg_color=(0.2, 0.3, 0.4))) as other, Renderer(small()) as again:
        # The parked copy goes to one renderer only; a second one alive at the same time
        # gets its own, so neither can release the other's textures mid-frame.
        other.render_frame(duck, 0)
        assert other._job is not None and other._job.gpu is gpu
        assert np.array_equal(again.render_frame(duck, 5), first)
        assert again._job is not None and again._job.gpu is not gpu
        assert np.array_equal(other.render_frame(duck, 5)[..., 3], first[..., 3])
    with Renderer(small()) as last:
        assert np.array_equal(last.render_frame(duck, 5), first)
    assert get_context().error == "GL_NO_ERROR"

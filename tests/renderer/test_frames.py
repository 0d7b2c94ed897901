"""Rendered frames on llvmpipe: background, vignette, alpha, silhouette, determinism."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import trimesh

from renderer import Renderer, RenderSettings, Scene

CORNERS = (np.s_[0, 0], np.s_[0, -1], np.s_[-1, 0], np.s_[-1, -1])


def render(scene: Scene, settings: RenderSettings, frame: int = 0) -> np.ndarray:
    with Renderer(settings) as r:
        return r.render_frame(scene, frame)


def test_frame_shape_and_dtype(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    frame = render(scene("Duck.glb"), small())
    assert frame.shape == (108, 192, 4) and frame.dtype == np.uint8


@pytest.mark.parametrize("reflector", [False, True])
def test_corners_equal_bg_color_without_vignette(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings], reflector: bool
) -> None:
    bg = (1.0, 136 / 255, 0.0)
    frame = render(scene("Duck.glb"), small(bg_color=bg, reflector=reflector))
    for corner in CORNERS:
        assert tuple(frame[corner]) == (255, 136, 0, 255)


def test_vignette_darkens_the_corners(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    plain = render(scene("Duck.glb"), small(vignette=0.0))
    vignetted = render(scene("Duck.glb"), small(vignette=1.0))
    for corner in CORNERS:
        assert np.all(vignetted[corner][:3] < plain[corner][:3])
    h, w = plain.shape[:2]
    assert np.array_equal(vignetted[h // 2, w // 2], plain[h // 2, w // 2])


def test_transparent_output_alpha(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    frame = render(scene("Duck.glb"), small(transparent=True, shadows=False))
    alpha = frame[..., 3]
    for corner in CORNERS:
        assert alpha[corner] == 0
    h, w = alpha.shape
    assert alpha[h // 2, w // 2] == 255
    assert set(np.unique(alpha)) - {0, 255}, "edges should be anti-aliased"
    assert np.all(frame[alpha == 0][:, :3] == 0)


def test_two_runs_are_bit_identical(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    settings = small(reflector=True, vignette=0.5)
    a = render(scene("Fox.glb"), settings, 7)
    b = render(scene("Fox.glb"), settings, 7)
    assert np.array_equal(a, b)


def test_draco_twin_renders_like_the_original(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    a = render(scene("BoxTextured.glb"), small()).astype(np.int16)
    b = render(scene("BoxTextured-draco.glb"), small()).astype(np.int16)
    assert np.mean(np.abs(a - b)) < 0.5
    assert np.percentile(np.abs(a - b), 99) <= 8


def test_without_supersampling_the_look_stays_and_only_edges_alias(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    """The free preview draws at output size (supersample 1): the same colours, the
    model in the same place, differences only along edges and texture detail."""
    fine = render(scene("Duck.glb"), small()).astype(np.int16)
    cheap = render(scene("Duck.glb"), small(supersample=1)).astype(np.int16)
    assert cheap.shape == fine.shape
    diff = np.abs(cheap - fine)[..., :3]
    assert diff.mean() < 2.0
    assert np.percentile(diff.max(axis=-1), 95) <= 12
    duck = (fine[..., :3] != fine[0, 0, :3]).any(axis=-1)
    cast = (cheap - fine)[duck][:, :3].mean(axis=0)
    assert np.all(np.abs(cast) < 1.5), cast  # no shift of colour, only aliasing
    assert (diff.max(axis=-1) > 0).any()  # it did draw without supersampling


def test_silhouette_matches_a_ray_cast(
    scene: Callable[[str], Scene],
    small: Callable[..., RenderSettings],
    raycast_mask: Callable[..., np.ndarray],
    rest_mesh: Callable[[Scene], trimesh.Trimesh],
) -> None:
    duck = scene("Duck.glb")
    settings = small(width=320, height=180, transparent=True, shadows=False, rotate_y=30)
    with Renderer(settings) as r:
        frame = r.render_frame(duck, 0)
        camera = r.camera_path(duck).camera(0)
    mesh = rest_mesh(duck)
    expected = raycast_mask(mesh, camera, 320, 180)
    got = frame[..., 3] >= 128
    iou = np.logical_and(got, expected).sum() / np.logical_or(got, expected).sum()
    assert iou >= 0.98, iou


def test_bg_image_cover_crop_anchors(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    # A 2:1 image (left half red, right half blue) covering a square frame is cropped to
    # one half's width: the anchor decides which columns survive.
    img = np.zeros((50, 100, 3), np.uint8)
    img[:, :50] = (255, 0, 0)
    img[:, 50:] = (0, 0, 255)
    red, blue = (255, 0, 0), (0, 0, 255)
    # (colour of the first column, colour of the last) — None where the crop edge meets
    # the colour edge and resampling blends the two.
    expected = {"center-left": (red, None), "top-right": (None, blue), "center": (red, blue)}
    for align, (first, last) in expected.items():
        frame = render(
            scene("Duck.glb"), small(aspect="1:1", bg_image=img, bg_align=align, shadows=False)
        )
        for column, colour in ((0, first), (-1, last)):
            if colour is not None:
                assert tuple(frame[0, column, :3]) == colour, align
                assert tuple(frame[-1, column, :3]) == colour, align


def test_frames_yields_frame_count_frames_in_order(
    scene: Callable[[str], Scene], small: Callable[..., RenderSettings]
) -> None:
    settings = small(length=0.2, effect="hero-spin")
    with Renderer(settings) as r:
        frames = list(r.frames(scene("BoxTextured.glb")))
        assert r.frame_count == 6 and len(frames) == 6
        for index in (0, 3, 5):
            assert np.array_equal(frames[index], r.render_frame(scene("BoxTextured.glb"), index))

"""Dataset layers: shapes, dtypes and agreement with an independent ray cast."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import trimesh

from renderer import Camera, LayersRenderer, Scene, render_layers


def test_layers_shapes_and_agreement(
    scene: Callable[[str], Scene],
    raycast_mask: Callable[..., np.ndarray],
    rest_mesh: Callable[[Scene], trimesh.Trimesh],
) -> None:
    duck = scene("Duck.glb")
    w, h = 160, 120
    camera = Camera(
        position=(2.5, 1.8, 3.0),
        target=(0.1, 0.85, 0.0),
        fov_y=40,
        aspect=w / h,
        near=0.5,
        far=10.0,
    )
    layers = render_layers(duck, camera, w, h)
    assert layers.rgba.shape == (h, w, 4) and layers.rgba.dtype == np.uint8
    assert layers.depth.shape == (h, w) and layers.depth.dtype == np.float32
    assert layers.normal.shape == (h, w, 3) and layers.normal.dtype == np.float32
    assert layers.mask.shape == (h, w) and layers.mask.dtype == np.uint8
    assert np.array_equal(layers.mask, layers.rgba[..., 3])
    rgb = layers.rgb()
    assert rgb.shape == (h, w, 3) and np.all(rgb[layers.mask == 0] == 255)
    assert np.array_equal(rgb[layers.mask == 255], layers.rgba[layers.mask == 255][:, :3])

    mesh = rest_mesh(duck)
    expected = raycast_mask(mesh, camera, w, h)
    got = layers.mask >= 128
    iou = np.logical_and(got, expected).sum() / np.logical_or(got, expected).sum()
    assert iou >= 0.98, iou

    hit = layers.depth > 0
    assert np.all(layers.depth[~hit] == 0) and np.all(layers.normal[~hit] == 0)
    lengths = np.linalg.norm(layers.normal[hit], axis=1)
    assert np.allclose(lengths, 1.0, atol=1e-3)

    # Exact planar depth: compare with the ray-cast distance projected on the view axis.
    c2w = camera.camera_to_world()
    ys, xs = np.nonzero(hit & expected)
    pick = np.linspace(0, len(ys) - 1, 200).astype(int)
    ys, xs = ys[pick], xs[pick]
    tan_y = np.tan(np.radians(camera.fov_y) / 2)
    dirs_cam = np.stack(
        [
            ((xs + 0.5) / w * 2 - 1) * tan_y * w / h,
            (1 - (ys + 0.5) / h * 2) * tan_y,
            -np.ones(len(xs)),
        ],
        axis=1,
    )
    locations, index_ray, _ = mesh.ray.intersects_location(
        np.broadcast_to(c2w[:3, 3], dirs_cam.shape), dirs_cam @ c2w[:3, :3].T, multiple_hits=False
    )
    planar = -((locations - c2w[:3, 3]) @ c2w[:3, :3])[:, 2]
    got_depth = layers.depth[ys[index_ray], xs[index_ray]]
    assert np.median(np.abs(got_depth - planar)) < 1e-3


def test_layers_renderer_reuses_the_upload(scene: Callable[[str], Scene]) -> None:
    duck = scene("Duck.glb")
    cams = [
        Camera(
            position=(3.0 * np.sin(a), 1.0, 3.0 * np.cos(a)),
            target=(0.1, 0.85, 0.0),
            aspect=1.0,
            near=0.5,
            far=10.0,
        )
        for a in (0.0, 1.5)
    ]
    with LayersRenderer(duck) as renderer:
        a = renderer.render(cams[0], 64, 64)
        b = renderer.render(cams[1], 64, 64)
        c = renderer.render(cams[0], 48, 32)
    single = render_layers(duck, cams[0], 64, 64)
    assert np.array_equal(a.rgba, single.rgba) and np.array_equal(a.depth, single.depth)
    assert not np.array_equal(a.mask, b.mask)
    assert c.rgba.shape == (32, 48, 4)

"""The dataset's depth, masks and normals agree with ray casts of the same GLB.

Three views picked at random (seeded) from each dataset are ray cast from the pose and
intrinsics written in transforms.json — the test reads the dataset only as a user would.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from ray_reference import cast, rest_mesh, scene_of

ASSETS = ["Duck.glb", "BoxTextured.glb", "CesiumMilkTruck.glb"]


def _views(build, asset):  # type: ignore[no-untyped-def]
    built = build(asset)
    meta = json.loads((built.root / "transforms.json").read_text())
    picks = np.random.default_rng(6).choice(len(meta["frames"]), size=3, replace=False)
    mesh = rest_mesh(scene_of(asset))
    for i in picks:
        frame = meta["frames"][i]
        hits = cast(mesh, np.array(frame["transform_matrix"]), meta["fl_x"], meta["w"], meta["h"])
        yield built.root, meta, frame, hits


@pytest.mark.parametrize("asset", ASSETS)
def test_depth_16bit_matches_ray_cast(build, asset):  # type: ignore[no-untyped-def]
    for root, meta, frame, hits in _views(build, asset):
        values = np.array(Image.open(root / frame["depth_16bit_path"]))
        assert values.dtype == np.uint16
        near, far = meta["depth_near"], meta["depth_far"]
        depth = values / 65535 * (far - near) + near
        both = (values > 0) & hits.hit
        assert both.sum() > 100
        error = np.median(np.abs(depth[both] - hits.depth[both]))
        assert error <= 0.001 * (far - near), (frame["file_path"], error, far - near)


@pytest.mark.parametrize("asset", ASSETS)
def test_depth_8bit_and_exact_decode_the_same_surface(build, asset):  # type: ignore[no-untyped-def]
    for root, meta, frame, hits in _views(build, asset):
        exact = np.load(root / frame["depth_file_path"])
        assert exact.dtype == np.float32 and exact.shape == (meta["h"], meta["w"])
        both = (exact > 0) & hits.hit
        assert np.median(np.abs(exact[both] - hits.depth[both])) <= 1e-3 * meta["depth_far"]
        v8 = np.array(Image.open(root / frame["depth_8bit_path"]))
        near, far = meta["depth_near"], meta["depth_far"]
        decoded = v8 / 255 * (far - near) + near
        fg = exact > 0
        assert np.all((v8 > 0) == fg)
        assert np.abs(decoded[fg] - exact[fg]).max() <= 0.5 / 255 * (far - near) * 1.001


@pytest.mark.parametrize("asset", ASSETS)
def test_mask_iou_with_ray_hits(build, asset):  # type: ignore[no-untyped-def]
    for root, _meta, frame, hits in _views(build, asset):
        mask = np.array(Image.open(root / frame["foreground_mask_path"])) >= 128
        iou = (mask & hits.hit).sum() / (mask | hits.hit).sum()
        assert iou >= 0.98, (frame["file_path"], iou)


@pytest.mark.parametrize("asset", ASSETS)
def test_depth_shows_only_the_nearest_surface(build, asset):  # type: ignore[no-untyped-def]
    """Hardly any pixel's depth belongs to a surface hidden behind another."""
    for root, meta, frame, hits in _views(build, asset):
        exact = np.load(root / frame["depth_file_path"])
        both = (exact > 0) & hits.hit
        off = np.abs(exact[both] - hits.depth[both]) > 0.01 * (
            meta["depth_far"] - meta["depth_near"]
        )
        assert off.mean() <= 0.01, (frame["file_path"], off.mean())


@pytest.mark.parametrize("asset", ASSETS)
def test_normals_within_5_degrees(build, asset):  # type: ignore[no-untyped-def]
    for root, _meta, frame, hits in _views(build, asset):
        rgb = np.array(Image.open(root / frame["normal_path"])).astype(np.float64)
        normal = rgb / 255 * 2 - 1
        fg = hits.hit & (np.linalg.norm(normal, axis=2) > 0.5)
        n = normal[fg] / np.linalg.norm(normal[fg], axis=1, keepdims=True)
        cos = np.einsum("nj,nj->n", n, hits.normal[fg]).clip(-1, 1)
        within = np.degrees(np.arccos(cos)) <= 5.0
        assert within.mean() >= 0.95, (frame["file_path"], within.mean())

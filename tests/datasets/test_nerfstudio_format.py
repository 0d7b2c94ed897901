"""The dataset loads with nerfstudio's, 3DGS's and instant-ngp's conventions."""

from __future__ import annotations

import json

import numpy as np
from nerfstudio_reader import focus_of_attention, parse
from PIL import Image


def test_nerfstudio_parses_transforms_json(build):  # type: ignore[no-untyped-def]
    built = build("Duck.glb")
    out = parse(built.root)
    n = built.spec.views
    assert len(out.image_filenames) == n and out.downscale_factor == 1
    assert [p.name for p in out.image_filenames] == sorted(p.name for p in out.image_filenames)
    assert out.mask_filenames == []  # white-background training sees the background
    assert len(out.depth_filenames) == n
    assert (out.width, out.height) == (built.spec.size, built.spec.size)
    assert out.cx == out.width / 2 and out.cy == out.height / 2 and out.fx == out.fy
    for path in out.image_filenames:
        assert Image.open(path).size == (out.width, out.height)
    for path in out.depth_filenames:  # np.load(path) * depth_unit_scale_factor (1.0)
        depth = np.load(path) * 1.0
        assert depth.shape == (out.height, out.width)
    assert out.ply_file_path is not None and out.ply_file_path.is_file()
    assert len(out.train_indices) + len(out.eval_indices) == n
    assert out.poses.shape == (n, 4, 4)
    rot = out.poses[:, :3, :3].astype(np.float64)
    assert np.allclose(rot @ rot.transpose(0, 2, 1), np.eye(3), atol=1e-5)
    assert np.allclose(out.poses[:, 3], [0, 0, 0, 1])


def test_masked_variant_has_masks_on_every_frame(build):  # type: ignore[no-untyped-def]
    built = build("Duck.glb")
    out = parse(built.root / "transforms_masked.json")
    assert len(out.mask_filenames) == built.spec.views
    for path in out.mask_filenames:  # nerfstudio: torch.from_numpy(np.array(pil)).unsqueeze(-1)
        mask = np.array(Image.open(path))
        assert mask.ndim == 2 and mask.dtype == np.uint8


def test_focus_centre_is_the_object_centre(build):  # type: ignore[no-untyped-def]
    """Why docs/datasets.md says --center-method focus: cameras all aim at the centre."""
    built = build("Duck.glb")
    meta = json.loads((built.root / "transforms.json").read_text())
    poses = parse(built.root).poses.astype(np.float64)
    centre = np.array(meta["scene_bbox"]["center"])
    radius = meta["scene_bbox"]["radius"]
    assert np.linalg.norm(focus_of_attention(poses) - centre) < 1e-3 * radius
    mean_origin = poses[:, :3, 3].mean(axis=0)  # --center-method poses (the default)
    assert np.linalg.norm(mean_origin - centre) > 0.5 * radius


def test_gaussian_splatting_split_files(build):  # type: ignore[no-untyped-def]
    """3DGS's NeRF-synthetic reader: camera_angle_x, file_path + '.png', points3d.ply."""
    built = build("Duck.glb")
    root = built.root
    names = []
    for split in ("train", "test"):
        contents = json.loads((root / f"transforms_{split}.json").read_text())
        fovx = contents["camera_angle_x"]
        for frame in contents["frames"]:
            path = root / (frame["file_path"] + ".png")
            image = Image.open(path).convert("RGBA")
            assert np.asarray(image)[..., 3].min() == 255
            focal = image.size[0] / (2 * np.tan(fovx / 2))
            assert abs(focal - json.loads((root / "transforms.json").read_text())["fl_x"]) < 1e-6
            c2w = np.array(frame["transform_matrix"])
            c2w[:3, 1:3] *= -1
            np.linalg.inv(c2w)
            names.append(path.name)
    assert sorted(names) == sorted(p.name for p in (root / "images").iterdir())
    test = json.loads((root / "transforms_test.json").read_text())["frames"]
    assert len(test) == len(range(0, built.spec.views, 8))


def test_instant_ngp_keys(build):  # type: ignore[no-untyped-def]
    meta = json.loads((build("Duck.glb").root / "transforms.json").read_text())
    assert meta["aabb_scale"] in (1, 2, 4, 8, 16, 32, 64, 128)
    lo, hi = np.array(meta["aabb"])
    assert np.all(lo <= meta["scene_bbox"]["min"]) and np.all(hi >= meta["scene_bbox"]["max"])
    assert abs(meta["camera_angle_x"] - 2 * np.arctan(meta["w"] / (2 * meta["fl_x"]))) < 1e-12
    assert all("depth_path" not in f for f in meta["frames"])  # not instant-ngp's linear depth

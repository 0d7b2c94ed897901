"""What is in the ZIP: every file named, the right image kinds, determinism, points."""

from __future__ import annotations

import json
import zipfile

import numpy as np
from PIL import Image
from ray_reference import rest_mesh, scene_of

from datasets import DatasetSpec, write_dataset

PATH_KEYS = (
    "file_path",
    "depth_file_path",
    "depth_8bit_path",
    "depth_16bit_path",
    "normal_path",
    "foreground_mask_path",
    "mask_path",
)


def test_every_file_named_exists(build):  # type: ignore[no-untyped-def]
    root = build("Duck.glb").root
    named = set()
    for name in ("transforms.json", "transforms_masked.json"):
        meta = json.loads((root / name).read_text())
        named.add(meta["ply_file_path"])
        for frame in meta["frames"]:
            named.update(frame[k] for k in PATH_KEYS if k in frame)
    for path in named:
        assert (root / path).is_file(), path
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    extra = on_disk - named
    assert extra == {
        "transforms.json",
        "transforms_masked.json",
        "transforms_train.json",
        "transforms_test.json",
        "overview.webp",
    }


def test_image_kinds_and_white_background(build):  # type: ignore[no-untyped-def]
    built = build("BoxTextured.glb")
    root, size = built.root, built.spec.size
    meta = json.loads((root / "transforms.json").read_text())
    for frame in meta["frames"][:6]:
        rgb = np.array(Image.open(root / frame["file_path"]))
        mask = np.array(Image.open(root / frame["foreground_mask_path"]))
        assert rgb.shape == (size, size, 3) and mask.shape == (size, size)
        assert np.all(rgb[mask == 0] == 255)
        assert (mask == 255).any() and (mask == 0).any()
        assert Image.open(root / frame["depth_8bit_path"]).mode == "L"
        assert Image.open(root / frame["depth_16bit_path"]).mode.startswith("I;16")
        normals = np.array(Image.open(root / frame["normal_path"]))
        exact = np.load(root / frame["depth_file_path"])
        assert np.all(normals[exact == 0] == 128)  # background: the zero vector


def test_overview_is_four_10x10_grids(build):  # type: ignore[no-untyped-def]
    image = Image.open(build("Duck.glb").root / "overview.webp")
    assert image.format == "WEBP" and image.size == (1920, 1920)


def test_points_lie_on_the_surface_with_colours(build):  # type: ignore[no-untyped-def]
    built = build("Duck.glb")
    raw = (built.root / "points3d.ply").read_bytes()
    header, body = raw.split(b"end_header\n", 1)
    assert b"property float nx" in header and b"property uchar red" in header
    dtype = np.dtype(
        [(n, "<f4") for n in ("x", "y", "z", "nx", "ny", "nz")]
        + [(n, "u1") for n in ("red", "green", "blue")]
    )
    pts = np.frombuffer(body, dtype)
    count = int(header.split(b"element vertex ")[1].split(b"\n")[0])
    assert len(pts) == count >= 1000
    xyz = np.stack([pts["x"], pts["y"], pts["z"]], axis=1).astype(np.float64)
    mesh = rest_mesh(scene_of("Duck.glb"))
    sample = xyz[:: max(1, len(xyz) // 2000)]
    _, distance, _ = mesh.nearest.on_surface(sample)
    assert np.median(distance) < 1e-3 * mesh.scale
    assert np.mean([pts["red"].mean(), pts["green"].mean()]) > pts["blue"].mean()  # yellow duck


def test_same_model_same_bytes(tmp_path):  # type: ignore[no-untyped-def]
    spec = DatasetSpec(views=6, size=48, coverage="sphere")
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    write_dataset(scene_of("BoxTextured.glb"), a, spec)
    write_dataset(scene_of("BoxTextured.glb"), b, spec)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.testzip() is None
        assert json.loads(zf.read("transforms.json"))["coverage"] == "sphere"

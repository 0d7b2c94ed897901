"""transforms.json read the way nerfstudio's ``nerfstudio-data`` parser reads it.

A numpy transcription of ``Nerfstudio._generate_dataparser_outputs`` (nerfstudio
``nerfstudio/data/dataparsers/nerfstudio_dataparser.py``, read with the search tool;
nerfstudio itself is not installed: it pulls torch and open3d). It keeps the checks
that make the real parser fail — missing intrinsics, an unknown ``camera_model``,
``mask_path``/``depth_file_path`` on some frames only, partial split lists, missing
files — and its frame order, split and ``--center-method focus`` centre.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CAMERA_MODELS = {
    "SIMPLE_PINHOLE",
    "PINHOLE",
    "SIMPLE_RADIAL",
    "RADIAL",
    "OPENCV",
    "OPENCV_FISHEYE",
    "EQUIRECTANGULAR",
    "OMNIDIRECTIONALSTEREO_L",
    "OMNIDIRECTIONALSTEREO_R",
    "VR180_L",
    "VR180_R",
    "ORTHOPHOTO",
    "FISHEYE624",
}
MAX_AUTO_RESOLUTION = 1600


@dataclass
class Parsed:
    image_filenames: list[Path]
    mask_filenames: list[Path]
    depth_filenames: list[Path]
    poses: np.ndarray
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    train_indices: np.ndarray
    eval_indices: np.ndarray
    ply_file_path: Path | None
    downscale_factor: int


def _fname(filepath: Path, data_dir: Path, downscale: int, prefix: str = "images_") -> Path:
    if downscale > 1:
        return data_dir / f"{prefix}{downscale}" / filepath.name
    return data_dir / filepath


def _auto_downscale(first: Path, data_dir: Path) -> int:
    w, h = Image.open(data_dir / first).size
    df = 0
    while True:
        if max(w, h) / 2**df < MAX_AUTO_RESOLUTION:
            break
        if not (data_dir / f"images_{2 ** (df + 1)}" / first.name).exists():
            break
        df += 1
    return 2**df


def parse(data: Path, train_split_fraction: float = 0.9) -> Parsed:
    """Parse ``data`` (a folder with transforms.json, or a .json file) like nerfstudio."""
    if data.suffix == ".json":
        meta: dict[str, Any] = json.loads(data.read_text())
        data_dir = data.parent
    else:
        meta = json.loads((data / "transforms.json").read_text())
        data_dir = data
    for key in ("fl_x", "fl_y", "cx", "cy", "h", "w"):
        assert key in meta or all(key in f for f in meta["frames"]), f"{key} not specified"
    downscale = _auto_downscale(Path(meta["frames"][0]["file_path"]), data_dir)
    names = [_fname(Path(f["file_path"]), data_dir, downscale) for f in meta["frames"]]
    frames = [meta["frames"][i] for i in np.argsort([str(n) for n in names])]

    images, masks, depths, poses = [], [], [], []
    for frame in frames:
        images.append(_fname(Path(frame["file_path"]), data_dir, downscale))
        poses.append(np.array(frame["transform_matrix"], dtype=np.float32))
        if "mask_path" in frame:
            masks.append(_fname(Path(frame["mask_path"]), data_dir, downscale, "masks_"))
        if "depth_file_path" in frame:
            depths.append(_fname(Path(frame["depth_file_path"]), data_dir, downscale, "depths_"))
    assert len(masks) in (0, len(images)), "mask_path must be on every frame or none"
    assert len(depths) in (0, len(images)), "depth_file_path must be on every frame or none"

    splits = [s for s in ("train", "val", "test") if f"{s}_filenames" in meta]
    assert not splits or len(splits) == 3, "all split lists or none"
    n = len(images)
    n_train = math.ceil(n * train_split_fraction)
    i_train = np.linspace(0, n - 1, n_train, dtype=int)
    i_eval = np.setdiff1d(np.arange(n), i_train)

    if "camera_model" in meta:
        assert meta["camera_model"] in CAMERA_MODELS, meta["camera_model"]
    ply = data_dir / meta["ply_file_path"] if "ply_file_path" in meta else None
    return Parsed(
        image_filenames=images,
        mask_filenames=masks,
        depth_filenames=depths,
        poses=np.stack(poses),
        fx=float(meta["fl_x"]),
        fy=float(meta["fl_y"]),
        cx=float(meta["cx"]),
        cy=float(meta["cy"]),
        width=int(meta["w"]),
        height=int(meta["h"]),
        train_indices=i_train,
        eval_indices=i_eval,
        ply_file_path=ply,
        downscale_factor=downscale,
    )


def focus_of_attention(poses: np.ndarray) -> np.ndarray:
    """nerfstudio's ``--center-method focus`` centre (camera_utils.focus_of_attention)."""
    directions = -poses[:, :3, 2:3]
    origins = poses[:, :3, 3:4]
    focus = origins[:, :, 0].mean(axis=0)
    active = np.sum(directions[..., 0] * (focus - origins[..., 0]), axis=-1) > 0
    done = False
    while active.sum() > 1 and not done:
        directions, origins = directions[active], origins[active]
        m = np.eye(3) - directions * np.transpose(directions, (0, 2, 1))
        mt_m = np.transpose(m, (0, 2, 1)) @ m
        focus = np.linalg.inv(mt_m.mean(0)) @ (mt_m @ origins).mean(0)[:, 0]
        active = np.sum(directions[..., 0] * (focus - origins[..., 0]), axis=-1) > 0
        done = bool(active.all())
    return focus

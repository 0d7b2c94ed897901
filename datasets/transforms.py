"""transforms.json and its siblings: the camera files trainers read.

- ``transforms.json`` — nerfstudio (``nerfstudio-data``) and instant-ngp. Intrinsics
  ``fl_x fl_y cx cy w h`` at top level (nerfstudio never reads ``camera_angle_x``),
  ``file_path`` with extension, camera-to-world OpenGL poses in the glTF scene's own
  units, ``depth_file_path`` → ``depth_exact/*.npy`` on every frame (nerfstudio wants it
  on all frames or none), ``ply_file_path`` → ``points3d.ply``, instant-ngp's ``aabb``
  and ``aabb_scale``. No ``mask_path``: a mask makes nerfstudio ignore the background,
  so ``--pipeline.model.background-color white`` would learn nothing about it; the
  masks are pointed to by ``foreground_mask_path`` instead (a key trainers ignore).
- ``transforms_masked.json`` — the same plus ``mask_path`` on every frame, for users who
  want masked training: ``--data mymodel/transforms_masked.json``.
- ``transforms_train.json`` / ``transforms_test.json`` — the NeRF-synthetic pair 3D
  Gaussian Splatting reads: ``camera_angle_x`` and ``file_path`` *without* extension (it
  appends ``.png``); every 8th view is a test view.

No train/val/test filename lists go into transforms.json: nerfstudio requires all three
once one is present, and its own split (fraction 0.9) is what its users expect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from datasets.depth import DepthRange
from datasets.encoding import NORMAL_ENCODING
from renderer import Bounds, Camera

TEST_EVERY = 8
"""Every 8th view (0, 8, 16, …) goes to transforms_test.json (the mip-NeRF 'llffhold')."""

AABB_MARGIN = 0.05
"""instant-ngp's ``aabb`` is the model's box grown by 5 % of its largest side."""


@dataclass(frozen=True)
class FrameFiles:
    """The files of one view inside the dataset, relative to transforms.json."""

    image: str
    depth8: str
    depth16: str
    depth_exact: str
    normal: str
    mask: str

    @classmethod
    def of(cls, index: int) -> FrameFiles:
        """Files of view ``index`` (0-based), named frame_00001… so names sort in order."""
        stem = f"frame_{index + 1:05d}"
        return cls(
            image=f"images/{stem}.png",
            depth8=f"depth/{stem}.png",
            depth16=f"depth_16bit/{stem}.png",
            depth_exact=f"depth_exact/{stem}.npy",
            normal=f"normals/{stem}.png",
            mask=f"masks/{stem}.png",
        )


PLY_NAME = "points3d.ply"


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels (principal point at the image centre)."""

    width: int
    height: int
    fov_y_deg: float

    @property
    def fl(self) -> float:
        return self.height / (2.0 * math.tan(math.radians(self.fov_y_deg) / 2.0))

    @property
    def angle_x(self) -> float:
        return 2.0 * math.atan(self.width / (2.0 * self.fl))

    @property
    def angle_y(self) -> float:
        return 2.0 * math.atan(self.height / (2.0 * self.fl))

    def as_json(self) -> dict[str, Any]:
        return {
            "camera_model": "PINHOLE",
            "camera_angle_x": self.angle_x,
            "camera_angle_y": self.angle_y,
            "fl_x": self.fl,
            "fl_y": self.fl,
            "cx": self.width / 2.0,
            "cy": self.height / 2.0,
            "w": self.width,
            "h": self.height,
        }


def pose(camera: Camera) -> list[list[float]]:
    """The 4×4 camera-to-world ``transform_matrix`` (OpenGL: looks down −Z, +Y up)."""
    return [[float(v) for v in row] for row in camera.camera_to_world()]


def transforms(
    cameras: list[Camera],
    intrinsics: Intrinsics,
    bounds: Bounds,
    depth_range: DepthRange,
    coverage: str,
    *,
    masked: bool = False,
) -> dict[str, Any]:
    """transforms.json (``masked``: transforms_masked.json) as a dict."""
    grow = AABB_MARGIN * float(np.max(bounds.hi - bounds.lo))
    frames = []
    for index, camera in enumerate(cameras):
        files = FrameFiles.of(index)
        frame: dict[str, Any] = {
            "file_path": files.image,
            "transform_matrix": pose(camera),
            "depth_file_path": files.depth_exact,
            "depth_8bit_path": files.depth8,
            "depth_16bit_path": files.depth16,
            "normal_path": files.normal,
            "foreground_mask_path": files.mask,
        }
        if masked:
            frame["mask_path"] = files.mask
        frames.append(frame)
    return {
        **intrinsics.as_json(),
        "aabb_scale": 1,
        "aabb": [[float(v) - grow for v in bounds.lo], [float(v) + grow for v in bounds.hi]],
        "scene_bbox": {
            "min": [float(v) for v in bounds.lo],
            "max": [float(v) for v in bounds.hi],
            "center": [float(v) for v in bounds.center],
            "radius": bounds.radius,
        },
        "depth_near": depth_range.near,
        "depth_far": depth_range.far,
        "depth_encoding": {
            "depth/": "uint8, depth = v / 255 * (depth_far - depth_near) + depth_near",
            "depth_16bit/": "uint16, depth = v / 65535 * (depth_far - depth_near) + depth_near",
            "depth_exact/": "float32 .npy, depth in scene units",
            "kind": "planar z-depth along the camera's viewing axis, scene units",
            "background": 0,
        },
        "depth_unit_scale_factor": 1.0,
        "normal_encoding": NORMAL_ENCODING,
        "ply_file_path": PLY_NAME,
        "coverage": coverage,
        "units": "glTF scene units (metres), +Y up; poses are not normalised",
        "frames": frames,
    }


def gaussian_splatting_splits(
    cameras: list[Camera], intrinsics: Intrinsics
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(transforms_train.json, transforms_test.json) for 3DGS's NeRF-synthetic reader."""
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for index, camera in enumerate(cameras):
        image = FrameFiles.of(index).image.removesuffix(".png")  # 3DGS appends ".png"
        frame = {"file_path": image, "transform_matrix": pose(camera)}
        (test if index % TEST_EVERY == 0 else train).append(frame)
    header = {"camera_angle_x": intrinsics.angle_x}
    return {**header, "frames": train}, {**header, "frames": test}

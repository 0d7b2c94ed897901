"""Auto-framing: where the model is over the whole video.

The camera must keep the model inside the frame on every frame, animated or not, so the
bounds are measured over the poses the video will actually show: the clip times of its
frames (subsampled when vertices × frames gets large). Points are skinned and morphed on
the CPU here — once per job, not per frame. The user's model rotations (tiltX, then
panX, then rollZ) are applied about the rest pose's centre before measuring.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from renderer.animation import Pose, clip_time, evaluate_pose
from renderer.scene import Animation, Primitive, Scene
from renderer.settings import RenderSettings
from renderer.transforms import rotation_x, rotation_y, rotation_z, transform_points, translation

POINT_BUDGET = 8_000_000
"""Vertex evaluations allowed for measuring animated bounds (caps job start-up time)."""


@dataclass(frozen=True)
class Bounds:
    """Axis-aligned box, and radii about its centre (world units).

    ``radius`` bounds every point's distance from the centre (the sphere used for light
    and ground extents); ``radius_xz`` bounds the horizontal distance from the vertical
    axis through the centre (the cylinder the orbiting camera frames).
    """

    lo: np.ndarray
    hi: np.ndarray
    radius: float
    radius_xz: float

    @property
    def center(self) -> np.ndarray:
        return (self.lo + self.hi) / 2.0


def posed_points(scene: Scene, pose: Pose) -> Iterator[np.ndarray]:
    """World-space vertex positions of every drawn primitive in ``pose``."""
    for index in reachable_nodes(scene):
        node = scene.nodes[index]
        if node.mesh is None:
            continue
        for prim in scene.meshes[node.mesh].primitives:
            positions = _morphed(prim, pose.morph_weights.get(index))
            if node.skin is not None and prim.joints is not None and prim.weights is not None:
                yield _skinned(positions, prim, pose.joint_matrices[node.skin])
            else:
                yield transform_points(pose.world[index], positions)


def reachable_nodes(scene: Scene) -> list[int]:
    """Nodes under the scene's roots, parents before children."""
    order, stack = [], list(reversed(scene.roots))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(scene.nodes[i].children))
    return order


def _morphed(prim: Primitive, weights: np.ndarray | None) -> np.ndarray:
    positions = prim.positions.astype(np.float64)
    if weights is not None:
        for w, target in zip(weights, prim.targets, strict=False):
            if w:
                positions = positions + w * target.position
    return positions


def _skinned(positions: np.ndarray, prim: Primitive, joints: np.ndarray) -> np.ndarray:
    assert prim.joints is not None and prim.weights is not None
    out = np.empty_like(positions)
    idx = np.clip(prim.joints.astype(np.int64), 0, len(joints) - 1)
    homo = np.concatenate([positions, np.ones((len(positions), 1))], axis=1)
    for start in range(0, len(positions), 65536):
        sl = slice(start, start + 65536)
        mats = np.einsum("nk,nkij->nij", prim.weights[sl], joints[idx[sl]])
        out[sl] = np.einsum("nij,nj->ni", mats, homo[sl])[:, :3]
    return out


def model_rotation(settings: RenderSettings, pivot: np.ndarray) -> np.ndarray:
    """tiltX, then panX, then rollZ, about ``pivot`` (the rest-pose centre)."""
    rot = rotation_z(settings.roll_z) @ rotation_y(settings.pan_x) @ rotation_x(settings.tilt_x)
    return translation(pivot) @ rot @ translation(-pivot)


def measure_bounds(
    scene: Scene, animation: Animation | None, times: list[float], root: np.ndarray
) -> Bounds:
    """Bounds of the model over the poses at clip ``times`` with ``root`` applied."""
    poses = [evaluate_pose(scene, animation, t, root) for t in times]
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for pose in poses:
        for pts in posed_points(scene, pose):
            if len(pts):
                lo = np.minimum(lo, pts.min(axis=0))
                hi = np.maximum(hi, pts.max(axis=0))
    if not np.all(np.isfinite(lo)):
        lo = hi = np.zeros(3)
    center = (lo + hi) / 2.0
    radius = radius_xz = 0.0
    for pose in poses:
        for pts in posed_points(scene, pose):
            if len(pts):
                sq = (pts - center) ** 2
                radius = max(radius, float(np.sqrt(sq.sum(axis=1).max())))
                radius_xz = max(radius_xz, float(np.sqrt((sq[:, 0] + sq[:, 2]).max())))
    return Bounds(lo=lo, hi=hi, radius=max(radius, 1e-6), radius_xz=max(radius_xz, 1e-6))


def frame_times(scene: Scene, settings: RenderSettings, animation: Animation | None) -> list[float]:
    """Distinct clip times the video shows (subsampled to the point budget)."""
    if animation is None or animation.duration <= 0:
        return [0.0]
    vertices = sum(len(p.positions) for m in scene.meshes for p in m.primitives)
    times = sorted(
        {
            round(clip_time(animation, f / settings.fps, settings.animation_speed), 6)
            for f in range(settings.frame_count + 1)
        }
    )
    budget = max(8, POINT_BUDGET // max(vertices, 1))
    if len(times) > budget:
        step = len(times) / budget
        times = [times[int(i * step)] for i in range(budget)]
    return times


def stage(scene: Scene, settings: RenderSettings) -> tuple[np.ndarray, Bounds]:
    """The model's root transform (user rotations) and its bounds over the video."""
    animation = scene.find_animation(settings.animation)
    rest = measure_bounds(scene, None, [0.0], np.eye(4))
    root = model_rotation(settings, rest.center)
    return root, measure_bounds(scene, animation, frame_times(scene, settings, animation), root)

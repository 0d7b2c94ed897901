"""Animation: keyframe sampling and the per-frame pose of the node hierarchy.

Sampling follows the glTF spec (STEP, LINEAR with quaternion slerp, CUBICSPLINE Hermite
with tangents scaled by the key interval). A :class:`Pose` holds what the GPU needs for
one instant: world matrices per node, joint matrices per skin and morph weights per node.
The work is proportional to nodes and keys, never to vertices — skinning and morphing
run in the vertex shader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderer.scene import Animation, Channel, Scene
from renderer.transforms import slerp, trs


def sample_channel(ch: Channel, t: float) -> np.ndarray:
    """Value of ``ch`` at time ``t`` (clamped to the key range)."""
    times = ch.times
    cubic = ch.interpolation == "CUBICSPLINE"

    def value(k: int) -> np.ndarray:
        return ch.values[3 * k + 1] if cubic else ch.values[k]

    if t <= times[0] or len(times) == 1:
        return _normalized(ch, value(0).astype(np.float64))
    if t >= times[-1]:
        return _normalized(ch, value(len(times) - 1).astype(np.float64))
    i = int(np.searchsorted(times, t, side="right")) - 1
    t0, t1 = float(times[i]), float(times[i + 1])
    dt = t1 - t0
    u = (t - t0) / dt if dt > 0 else 0.0
    if ch.interpolation == "STEP":
        out = value(i).astype(np.float64)
    elif cubic:
        v0, b0 = ch.values[3 * i + 1], ch.values[3 * i + 2]
        a1, v1 = ch.values[3 * (i + 1)], ch.values[3 * (i + 1) + 1]
        u2, u3 = u * u, u * u * u
        out = (
            (2 * u3 - 3 * u2 + 1) * v0
            + dt * (u3 - 2 * u2 + u) * b0
            + (-2 * u3 + 3 * u2) * v1
            + dt * (u3 - u2) * a1
        ).astype(np.float64)
    elif ch.path == "rotation":
        return slerp(value(i).astype(np.float64), value(i + 1).astype(np.float64), u)
    else:
        out = (1 - u) * value(i).astype(np.float64) + u * value(i + 1).astype(np.float64)
    return _normalized(ch, out)


def _normalized(ch: Channel, v: np.ndarray) -> np.ndarray:
    if ch.path == "rotation":
        return v / max(float(np.linalg.norm(v)), 1e-30)
    return v


def clip_time(animation: Animation | None, seconds: float, speed: float) -> float:
    """Clip-local time for video time ``seconds``: scaled by ``speed``, looping."""
    if animation is None:
        return 0.0
    duration = animation.duration
    t = seconds * speed
    return t % duration if duration > 0 else 0.0


@dataclass
class Pose:
    """Everything animated at one instant, in world space (``root`` applied)."""

    world: np.ndarray  # (nodes, 4, 4)
    joint_matrices: list[np.ndarray]  # per skin: (joints, 4, 4)
    morph_weights: dict[int, np.ndarray]  # node → weights


def evaluate_pose(
    scene: Scene, animation: Animation | None, t: float, root: np.ndarray | None = None
) -> Pose:
    """Pose of ``scene`` at clip time ``t``; ``root`` pre-multiplies every world matrix."""
    overrides: dict[tuple[int, str], np.ndarray] = {}
    if animation is not None:
        for ch in animation.channels:
            overrides[(ch.node, ch.path)] = sample_channel(ch, t)
    world = np.tile(np.eye(4), (len(scene.nodes), 1, 1))
    stack = [(r, np.eye(4) if root is None else root) for r in scene.roots]
    while stack:
        index, parent = stack.pop()
        node = scene.nodes[index]
        if node.matrix is not None:
            local = node.matrix
        else:
            local = trs(
                overrides.get((index, "translation"), node.translation),
                overrides.get((index, "rotation"), node.rotation),
                overrides.get((index, "scale"), node.scale),
            )
        world[index] = parent @ local
        stack.extend((c, world[index]) for c in node.children)
    joints = [world[skin.joints] @ skin.inverse_bind_matrices for skin in scene.skins]
    weights: dict[int, np.ndarray] = {}
    for index, node in enumerate(scene.nodes):
        if node.mesh is None:
            continue
        mesh = scene.meshes[node.mesh]
        n_targets = max((len(p.targets) for p in mesh.primitives), default=0)
        if n_targets == 0:
            continue
        w = overrides.get((index, "weights"))
        if w is None:
            w = node.weights if node.weights is not None else mesh.weights
        w = np.zeros(n_targets) if w is None else np.asarray(w, dtype=np.float64).reshape(-1)
        out = np.zeros(n_targets)
        out[: min(n_targets, len(w))] = w[:n_targets]
        weights[index] = out
    return Pose(world=world, joint_matrices=joints, morph_weights=weights)

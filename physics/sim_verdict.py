"""Whether a simulation looks physically right, read after every step, not only at the
frames: settled (the last :data:`SETTLED_WINDOW` slower than :data:`SETTLED_SPEED` and
:data:`SETTLED_SPIN`), finite (no NaN, and MuJoCo never reset an unstable step), escaped
(through the floor or flung away), the resting pose against the centre-of-mass height its
bounding box gives that pose, and the deepest penetration of any contact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physics.headless import mujoco
from physics.sim_scene import Shape, collider_geoms, geom_points

SETTLED_WINDOW = 0.5
"""Seconds at the end of the run that must be still."""
SETTLED_SPEED = 0.01
"""m/s: slower than a centimetre a second counts as at rest."""
SETTLED_SPIN = 0.1
"""rad/s."""
ESCAPE_DISTANCE = 20.0
"""In asset sizes: a body this far from the origin was flung away."""
SIDES = {
    "upright": (2, -1),
    "upside down": (2, 1),
    "on its -x side": (0, -1),
    "on its +x side": (0, 1),
    "on its -y side": (1, -1),
    "on its +y side": (1, 1),
}
"""Resting pose → the body axis pointing down and its sign (the SimReady frame: +Z up)."""


@dataclass(frozen=True)
class Verdict:
    settled: bool
    max_speed_last: float
    """m/s, the fastest the centre of mass moved in the last :data:`SETTLED_WINDOW`."""
    max_spin_last: float
    """rad/s, over the same window."""
    finite: bool
    """No NaN in the state and no step MuJoCo had to reset as unstable."""
    escaped: bool
    """The centre of mass went below the floor or :data:`ESCAPE_DISTANCE` sizes away."""
    max_speed: float
    """m/s over the whole run (a free fall's √(2gh) is the most a drop should reach)."""
    rest_pose: str
    """Which face of the bounding box it rests on (:data:`SIDES`)."""
    rest_tilt_degrees: float
    """How far it leans from lying square on that face."""
    rest_com_height: float
    """m, the centre of mass's height at the end."""
    expected_com_height: float
    """m, that height were it resting square on that face of its bounding box."""
    rest_height_error: float
    """``rest_com_height - expected_com_height``, m."""
    rest_lowest_point: float
    """m, the lowest collider vertex at the end (≈ 0 on the floor, minus penetration)."""
    worst_penetration: float
    """m, the most negative contact distance over the run, as a depth (≥ 0)."""
    rest_penetration: float
    """m, the same over the last :data:`SETTLED_WINDOW`."""

    @property
    def ok(self) -> bool:
        return self.settled and self.finite and not self.escaped


class Monitor:
    """Reads the body's state after every step: the log's samples and the verdict."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, body: int, shape: Shape):
        self.model, self.data, self.body, self.shape = model, data, body, shape
        self.dof = model.jnt_dofadr[model.body_jntadr[body]]
        self.steps = 0
        self.times: list[float] = []
        self.speeds: list[float] = []
        self.spins: list[float] = []
        self.depths: list[float] = []
        self.finite = True
        self.escaped = False

    @property
    def healthy(self) -> bool:
        return self.finite and not self.escaped

    def step(self) -> None:
        data = self.data
        self.steps += 1
        qvel = data.qvel[self.dof : self.dof + 6]
        unstable = data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0
        if unstable or not (np.isfinite(data.qpos).all() and np.isfinite(qvel).all()):
            self.finite = False
            return
        com = data.xipos[self.body]
        size = self.shape.size
        if com[2] < -0.5 * size or np.linalg.norm(com) > ESCAPE_DISTANCE * size:
            self.escaped = True
        self.times.append(float(data.time))
        self.speeds.append(float(np.linalg.norm(qvel[:3])))
        self.spins.append(float(np.linalg.norm(qvel[3:])))
        dist = data.contact.dist[: data.ncon]
        self.depths.append(float(max(0.0, -dist.min())) if len(dist) else 0.0)

    def sample(self) -> dict[str, object]:
        data = self.data
        qvel = data.qvel[self.dof : self.dof + 6]
        return {
            "time": round(float(data.time), 6),
            "position": _rounded(data.xipos[self.body]),
            "quaternion": _rounded(data.xquat[self.body]),
            "linear_speed": round(float(np.linalg.norm(qvel[:3])), 6),
            "angular_speed": round(float(np.linalg.norm(qvel[3:])), 6),
            "contacts": int(data.ncon),
        }

    def verdict(self, seconds: float) -> Verdict:
        data, shape = self.data, self.shape
        times = np.array(self.times)
        last = times >= seconds - SETTLED_WINDOW if len(times) else np.zeros(0, bool)
        speeds, spins, depths = (np.array(v) for v in (self.speeds, self.spins, self.depths))
        max_speed_last = float(speeds[last].max()) if last.any() else math.inf
        max_spin_last = float(spins[last].max()) if last.any() else math.inf
        rot = data.xmat[self.body].reshape(3, 3)
        down = rot.T @ np.array([0.0, 0.0, -1.0])
        pose, (axis, sign) = max(SIDES.items(), key=lambda kv: kv[1][1] * down[kv[1][0]])
        tilt = math.degrees(math.acos(min(1.0, sign * down[axis])))
        face = shape.hi[axis] if sign > 0 else shape.lo[axis]
        expected = abs(face - shape.com[axis])
        com_height = float(data.xipos[self.body][2])
        lowest = min(
            float(
                geom_points(self.model, g, data.geom_xpos[g], data.geom_xmat[g].reshape(3, 3))[
                    :, 2
                ].min()
            )
            for g in collider_geoms(self.model, self.body)
        )
        settled = max_speed_last < SETTLED_SPEED and max_spin_last < SETTLED_SPIN
        return Verdict(
            settled=bool(settled and self.healthy),
            max_speed_last=max_speed_last,
            max_spin_last=max_spin_last,
            finite=self.finite,
            escaped=self.escaped,
            max_speed=float(speeds.max()) if len(speeds) else 0.0,
            rest_pose=pose,
            rest_tilt_degrees=tilt,
            rest_com_height=com_height,
            expected_com_height=float(expected),
            rest_height_error=com_height - float(expected),
            rest_lowest_point=lowest,
            worst_penetration=float(depths.max()) if len(depths) else 0.0,
            rest_penetration=float(depths[last].max()) if last.any() else 0.0,
        )


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]

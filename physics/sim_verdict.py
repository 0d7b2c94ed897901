"""Whether a simulation looks physically right, read after every step, not only at the
frames: settled (the last :data:`SETTLED_WINDOW` still, :func:`still_limits`, and resting
on the ground), finite (no NaN, and MuJoCo never reset an unstable step), escaped (through
the floor or flung away), the resting pose against the centre-of-mass height its bounding
box gives that pose, and the deepest penetration of any contact. Each failed check leaves
a sentence in :attr:`Verdict.problems`, the log's reason.
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
"""m/s: a body of a metre or less slower than a centimetre a second counts as at rest."""
SETTLED_SPIN = 0.1
"""rad/s, the same for its turning."""
ESCAPE_DISTANCE = 20.0
"""In asset sizes: a body this far from the origin was flung away."""
GROUND_GAP = 0.01
"""In asset sizes: a body that touches nothing and whose lowest collider point is higher
than this above the floor is in the air (a ball hopping over its facets is not)."""
SIDES = {
    "upright": (2, -1),
    "upside down": (2, 1),
    "on its -x side": (0, -1),
    "on its +x side": (0, 1),
    "on its -y side": (1, -1),
    "on its +y side": (1, 1),
}
"""Resting pose → the body axis pointing down and its sign (the SimReady frame: +Z up)."""


def still_limits(size: float) -> tuple[float, float]:
    """(m/s, rad/s) below which a body of ``size`` m is still. Motion under gravity scales
    as √(g·L) and √(g/L) (Froude): a 155 m fox rocks on its feet with a 4 s period, so
    past a metre the speed limit grows and the spin limit shrinks with √L."""
    scale = math.sqrt(max(size, 1.0))
    return SETTLED_SPEED * scale, SETTLED_SPIN / scale


@dataclass(frozen=True)
class Verdict:
    settled: bool
    """Still for the last :data:`SETTLED_WINDOW`, resting on the ground, healthy."""
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
    on_ground: bool = False
    """At the end it touches the floor or the demo's ramp, or its lowest point is within
    :data:`GROUND_GAP` of the floor: not still falling, not in the air."""
    settled_after: float | None = None
    """s, when it last began to be still (None: moving at the end)."""
    still_speed: float = SETTLED_SPEED
    """m/s and rad/s, the limits :func:`still_limits` gave its size."""
    still_spin: float = SETTLED_SPIN
    seconds: float = 0.0
    """s simulated."""
    problems: tuple[str, ...] = ()
    """Why it is not ok, one sentence per failed check; empty when ok."""

    @property
    def ok(self) -> bool:
        return self.settled and self.finite and not self.escaped and self.on_ground


class Monitor:
    """Reads the body's state after every step: the log's samples and the verdict."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, body: int, shape: Shape):
        self.model, self.data, self.body, self.shape = model, data, body, shape
        self.geoms = collider_geoms(model, body)
        self.still_speed, self.still_spin = still_limits(shape.size)
        self.steps = 0
        self.times: list[float] = []
        self.speeds: list[float] = []
        self.spins: list[float] = []
        self.depths: list[float] = []
        self.still_since: float | None = None
        self.finite = True
        self.escaped = False
        self._velocity = np.zeros(6)

    @property
    def healthy(self) -> bool:
        return self.finite and not self.escaped

    def velocity(self) -> tuple[float, float]:
        """(m/s, rad/s): the centre of mass's speed and the spin. A free joint's own
        velocity is the body origin's (the SimReady base), which a spin swings about."""
        mujoco.mj_objectVelocity(
            self.model, self.data, mujoco.mjtObj.mjOBJ_BODY, self.body, self._velocity, 0
        )
        spin, linear = self._velocity[:3], self._velocity[3:]
        return float(np.linalg.norm(linear)), float(np.linalg.norm(spin))

    @property
    def normal_speed(self) -> float:
        """m/s, how fast the centre of mass comes down (0 going up), at the last step."""
        return max(0.0, -float(self._velocity[5]))

    @property
    def still_for(self) -> float:
        """s it has been still, up to now (0 while it moves)."""
        return 0.0 if self.still_since is None else float(self.data.time) - self.still_since

    def step(self) -> None:
        data = self.data
        self.steps += 1
        unstable = data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0
        if unstable or not (np.isfinite(data.qpos).all() and np.isfinite(data.qvel).all()):
            self.finite = False
            return
        com = data.xipos[self.body]
        size = self.shape.size
        if com[2] < -0.5 * size or np.linalg.norm(com) > ESCAPE_DISTANCE * size:
            self.escaped = True
        speed, spin = self.velocity()
        self.times.append(float(data.time))
        self.speeds.append(speed)
        self.spins.append(spin)
        dist = data.contact.dist[: data.ncon]
        self.depths.append(float(max(0.0, -dist.min())) if len(dist) else 0.0)
        if speed < self.still_speed and spin < self.still_spin:
            if self.still_since is None:
                self.still_since = float(data.time)
        else:
            self.still_since = None

    def sample(self) -> dict[str, object]:
        data = self.data
        speed, spin = self.velocity()
        return {
            "time": round(float(data.time), 6),
            "position": _rounded(data.xipos[self.body]),
            "quaternion": _rounded(data.xquat[self.body]),
            "linear_speed": round(speed, 6),
            "angular_speed": round(spin, 6),
            "contacts": int(data.ncon),
        }

    def touches_ground(self) -> bool:
        """A contact between one of the body's colliders and a world geom (floor, ramp)."""
        data, model, mine = self.data, self.model, set(self.geoms)
        return any(
            (int(c.geom1) in mine and model.geom_bodyid[c.geom2] == 0)
            or (int(c.geom2) in mine and model.geom_bodyid[c.geom1] == 0)
            for c in (data.contact[i] for i in range(data.ncon))
        )

    def verdict(self) -> Verdict:
        data, shape = self.data, self.shape
        seconds = float(data.time)
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
            for g in self.geoms
        )
        on_ground = lowest < GROUND_GAP * shape.size or self.touches_ground()
        still = max_speed_last < self.still_speed and max_spin_last < self.still_spin
        problems = []
        if not self.finite:
            problems.append(
                f"the simulation went unstable (NaN or a reset step) at {seconds:.2f} s"
            )
        if self.escaped:
            problems.append(f"it escaped: through the floor or over {ESCAPE_DISTANCE:g} sizes away")
        if self.healthy and not on_ground:
            vz = float(self._velocity[5])
            state = "still falling" if vz < -self.still_speed else "in the air"
            problems.append(
                f"it never came to rest on the floor: {state} at {seconds:.2f} s, its lowest"
                f" point {lowest:.3g} m above it, moving at {speeds[-1]:.3g} m/s"
            )
        if self.healthy and not still:
            problems.append(
                f"still moving at {seconds:.2f} s: {max_speed_last:.3g} m/s and"
                f" {max_spin_last:.3g} rad/s in the last {SETTLED_WINDOW:g} s (still below"
                f" {self.still_speed:.3g} m/s and {self.still_spin:.3g} rad/s)"
            )
        settled = bool(still and on_ground and self.healthy)
        return Verdict(
            settled=settled,
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
            on_ground=bool(on_ground),
            settled_after=self.still_since if settled else None,
            still_speed=self.still_speed,
            still_spin=self.still_spin,
            seconds=seconds,
            problems=tuple(problems),
        )


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]

"""The world a simulation runs in: floor, sky, lights, the ``demo`` ramp, the body's
start and the camera, all scaled by the asset's size L (the longest side of its
colliders' bounding box), so a 5 cm part and a 5 m truck are framed alike.

- ``drop``: upright, its colliders' lowest point L/4 (at most 1 m) above the floor,
  released at rest.
- ``demo``: tilted 30° and dropped onto a 25° ramp with a push down the slope; it lands,
  slides or rolls off onto the floor (whether it sticks on the ramp is its friction
  speaking: tan 25° ≈ 0.47), while the camera follows it round half a turn.

Rendering is tuned for a CPU rasteriser (Mesa's llvmpipe): no multisampling, no floor
reflection (it draws the scene twice), shadows only on request (a clean shadow map
makes a frame six times slower there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physics.headless import mujoco

SCENES = ("demo", "drop")
RAMP_DEGREES = 25.0
DEMO_TILT_DEGREES = 30.0
SHADOW_MAP = 4096
"""Texels a side: MuJoCo's directional shadow spans the whole scene, and a smaller map
speckles the floor (shadow acne at 1024) and jags the asset's own shadow."""
DROP_HEIGHT = 0.25
"""In asset sizes, from the floor to the colliders' lowest point."""
DROP_HEIGHT_MAX = 1.0
"""m, the most a drop falls, as a product drop test does (ISTA's 0.2–1.2 m). A quarter of
a 760 m engine was 190 m: it hit at 60 m/s after 6.2 s, past the scene's end."""


def drop_height(size: float) -> float:
    """From the floor to the colliders' lowest point: a quarter of the asset's size (a
    drop you can see at any scale), at most :data:`DROP_HEIGHT_MAX`."""
    return min(DROP_HEIGHT * size, DROP_HEIGHT_MAX)


@dataclass(frozen=True)
class Shape:
    """What the scene and the verdict need of the package, read from its compiled model."""

    body_name: str
    lo: np.ndarray
    """The colliders' bounding box in the body frame (the SimReady frame at rest)."""
    hi: np.ndarray
    com: np.ndarray
    """The centre of mass in the body frame."""

    @property
    def size(self) -> float:
        return float(np.max(self.hi - self.lo))

    @classmethod
    def of(cls, model: mujoco.MjModel) -> Shape:
        bodies = [
            b
            for b in range(1, model.nbody)
            if model.body_jntnum[b]
            and model.jnt_type[model.body_jntadr[b]] == mujoco.mjtJoint.mjJNT_FREE
        ]
        if len(bodies) != 1:
            raise ValueError(f"the package should hold one free body, it holds {len(bodies)}")
        body = bodies[0]
        geoms = collider_geoms(model, body)
        if not len(geoms):
            raise ValueError("the package's body has no collision geoms (group 3)")
        points = np.concatenate(
            [
                geom_points(model, g, model.geom_pos[g], quat_matrix(model.geom_quat[g]))
                for g in geoms
            ]
        )
        return cls(
            model.body(body).name, points.min(0), points.max(0), model.body_ipos[body].copy()
        )


def collider_geoms(model: mujoco.MjModel, body: int) -> list[int]:
    """The body's collision geoms (group 3, colliding): ids differ once a scene is added."""
    return [
        g
        for g in range(model.ngeom)
        if model.geom_bodyid[g] == body and model.geom_group[g] == 3 and model.geom_contype[g]
    ]


def geom_points(model: mujoco.MjModel, g: int, pos: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """A mesh geom's vertices placed by ``pos`` and ``rot`` (its frame in body or world)."""
    mesh = model.geom_dataid[g]
    start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
    return model.mesh_vert[start : start + count].astype(np.float64) @ rot.T + pos


def quat_matrix(quat: np.ndarray) -> np.ndarray:
    out = np.zeros(9)
    mujoco.mju_quat2Mat(out, np.asarray(quat, dtype=np.float64))
    return out.reshape(3, 3)


def _axis_quat(axis: tuple[float, float, float], degrees: float) -> list[float]:
    half = math.radians(degrees) / 2
    x, y, z = np.asarray(axis) / np.linalg.norm(axis)
    return [math.cos(half), x * math.sin(half), y * math.sin(half), z * math.sin(half)]


def build_scene(
    spec: mujoco.MjSpec, scene: str, shape: Shape, width: int, height: int, shadows: bool
) -> dict[str, object]:
    """Floor, sky, lights and (demo) the ramp; places the body; returns what was chosen."""
    L = shape.size
    spec.visual.global_.offwidth = max(width, spec.visual.global_.offwidth)
    spec.visual.global_.offheight = max(height, spec.visual.global_.offheight)
    spec.visual.quality.shadowsize = SHADOW_MAP
    spec.visual.quality.offsamples = 0
    spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
    spec.visual.headlight.diffuse = [0.45, 0.45, 0.45]
    spec.visual.headlight.specular = [0.1, 0.1, 0.1]
    spec.visual.map.znear = 0.01
    spec.visual.map.zfar = 200.0
    spec.add_texture(
        name="scene_sky",
        type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
        builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
        rgb1=[0.55, 0.7, 0.9],
        rgb2=[0.92, 0.94, 0.97],
        width=100,
        height=600,
    )
    spec.add_texture(
        name="scene_checker",
        type=mujoco.mjtTexture.mjTEXTURE_2D,
        builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
        mark=mujoco.mjtMark.mjMARK_EDGE,
        rgb1=[0.42, 0.46, 0.5],
        rgb2=[0.62, 0.66, 0.7],
        markrgb=[0.85, 0.85, 0.85],
        width=512,
        height=512,
    )
    floor_material = spec.add_material(
        name="scene_floor", texrepeat=[1.0 / L, 1.0 / L], texuniform=True
    )
    floor_material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "scene_checker"
    world = spec.worldbody
    world.add_geom(
        name="scene_floor",
        type=mujoco.mjtGeom.mjGEOM_PLANE,
        size=[40 * L, 40 * L, 0.05 * L],
        material="scene_floor",
        group=0,
    )
    world.add_light(
        name="scene_sun",
        type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
        pos=[0, 0, 10 * L],
        dir=[0.3, 0.4, -1.0],
        castshadow=shadows,
        diffuse=[0.6, 0.6, 0.6],
        specular=[0.2, 0.2, 0.2],
        ambient=[0.05, 0.05, 0.05],
    )
    body = spec.body(shape.body_name)
    params: dict[str, object] = {"asset_size": L, "body": shape.body_name}
    if scene == "drop":
        drop = drop_height(L)
        # The hulls may bulge below the mesh's base (the body origin): lift them clear.
        body.pos = [0.0, 0.0, drop - float(shape.lo[2])]
        params.update(drop_height=drop)
        return params

    theta = math.radians(RAMP_DEGREES)
    length, thickness = 4 * L, 0.1 * L
    normal = np.array([math.sin(theta), 0.0, math.cos(theta)])
    surface_centre = np.array([-length / 2 * math.cos(theta), 0.0, length / 2 * math.sin(theta)])
    world.add_geom(
        name="scene_ramp",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[length / 2, 1.5 * L, thickness / 2],
        pos=list(surface_centre - thickness / 2 * normal),
        quat=_axis_quat((0, 1, 0), RAMP_DEGREES),
        rgba=[0.75, 0.55, 0.35, 1],
        group=0,
    )
    start = np.array([-0.75 * length * math.cos(theta), 0.0, 0.75 * length * math.sin(theta)])
    start = start + 0.5 * L * normal
    body.pos = list(start)
    body.quat = _axis_quat((1, 0.4, 0), DEMO_TILT_DEGREES)
    push = 0.5 * math.sqrt(9.81 * L)
    params.update(
        ramp_degrees=RAMP_DEGREES,
        ramp_length=length,
        tilt_degrees=DEMO_TILT_DEGREES,
        start=start.tolist(),
        push_velocity=[push * math.cos(theta), 0.0, -push * math.sin(theta)],
    )
    return params


BOUNCE_THRESHOLD = 0.2
"""Of the scene's impact speed √(2gh): an impact slower than this does not bounce.
PhysX's ``bounceThresholdVelocity`` is the same rule (0.2 of its speed scale), and real
restitution fades at low speed too. MuJoCo's bounce is an under-damped contact spring
(:func:`physics.mjcf.solref`), which never lets a body lie still: a plate on its face
chattered at 3 cm/s, a 10 cm part rocked at 0.25 rad/s for 12 s."""


class BounceThreshold:
    """Switches the body's colliders between the package's bouncing contact spring and
    the same spring critically damped: chosen from the approach speed while the body is
    in the air, kept while it touches something (so a bounce is never cut off half-way)."""

    def __init__(self, model: mujoco.MjModel, geoms: list[int], threshold: float) -> None:
        self.model, self.geoms, self.threshold = model, geoms, threshold
        self.bouncy = model.geom_solref[geoms].copy()
        self.damped = self.bouncy.copy()
        self.damped[:, 1] = np.maximum(self.damped[:, 1], 1.0)
        self.touching = False

    def update(self, touching: bool, normal_speed: float) -> None:
        """After each step: ``touching`` anything, approaching at ``normal_speed`` m/s."""
        if not touching:
            fast = normal_speed >= self.threshold
            self.model.geom_solref[self.geoms] = self.bouncy if fast else self.damped
        self.touching = touching


def impact_speed(parameters: dict[str, object], shape: Shape) -> float:
    """m/s, the scene's typical impact: a free fall from the drop (or the demo's start)."""
    height = parameters.get("drop_height", 0.5 * shape.size)
    return math.sqrt(2 * 9.81 * float(height))  # type: ignore[arg-type]


class Camera:
    """A free camera: ``drop`` still (the floor does not move, so the GIF stores only what
    changed), ``demo`` half a turn following the body (smoothed, so a bounce does not
    shake the picture)."""

    def __init__(self, scene: str, shape: Shape, start: np.ndarray, seconds: float) -> None:
        self.scene = scene
        self.seconds = max(seconds, 1e-6)
        L = shape.size
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.camera.elevation = -20.0
        if scene == "drop":
            extent = shape.hi - shape.lo
            drop = drop_height(L)
            self.lookat = np.array([0.0, 0.0, (extent[2] + drop) / 2])
            self.camera.distance = (
                0.8
                * float(np.linalg.norm(extent + np.array([0.0, 0.0, drop])))
                / math.tan(math.radians(22.5))
            )
            self.azimuth, self.sweep = 120.0, 0.0
        else:
            self.lookat = np.array(start, dtype=np.float64)
            self.camera.distance = 2.2 * L / math.tan(math.radians(22.5))
            self.azimuth, self.sweep = 60.0, 180.0
        self.last = 0.0

    def at(self, t: float, com: np.ndarray) -> mujoco.MjvCamera:
        if self.scene == "demo":
            blend = 1.0 - math.exp(-(t - self.last) / 0.4)
            self.lookat += blend * (com - self.lookat)
        self.last = t
        self.camera.lookat[:] = self.lookat
        self.camera.azimuth = self.azimuth + self.sweep * t / self.seconds
        return self.camera

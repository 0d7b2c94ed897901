"""Frames of a video: shadow map, supersampled lit pass, resolve, double-buffered read-back.

Per frame: pose the scene (nodes, joints, morph weights), draw the key light's shadow
map only when the pose changed, draw the reflection / shadow catcher / depth pre-pass /
model into the 2× colour target (premultiplied, tone-mapped), resolve it to output size
on the GPU (:mod:`renderer.ssaa`) and read the result back through two pixel-pack
buffers, so frame N+1 is being drawn while frame N is copied out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import moderngl
import numpy as np

from renderer.animation import Pose, clip_time, evaluate_pose
from renderer.background import EnvironmentBackground, backdrop_pixels
from renderer.camera import Camera
from renderer.camera_path import CameraPath
from renderer.draw import draw_meshes
from renderer.errors import RenderTimeout
from renderer.framing import Bounds, stage
from renderer.gl_context import get_context, get_program, release, set_uniform
from renderer.gl_scene import GpuScene, acquire_gpu_scene, park_gpu_scene
from renderer.lighting import (
    EXPOSURE,
    LIGHT_COLOR,
    REFLECTION_STRENGTH,
    SHADOW_MAP_SIZE,
    SHADOW_OPACITY,
    TONE_MAPPING_CODES,
    Lighting,
    ground_rect,
    key_light_on,
    light_view_proj,
    lighting_for,
    mirror_matrix,
)
from renderer.scene import Animation, Scene
from renderer.settings import RenderSettings
from renderer.ssaa import Backdrop, Rect, SupersampledTarget
from renderer.transforms import transform_points

SHADOW_UNIT, ENV_UNIT, LUT_UNIT, IRRADIANCE_UNIT = 5, 6, 7, 24
"""Texture units of the lighting (material textures use 0-4 and 10-19, animation 8-9)."""
GROUND_SHADOW_SOFTNESS = 4.0
"""Radius of the ground shadow's Poisson disk, in shadow-map texels."""
GROUND_SHADOW_SIZE = 512
PREPASS_MIN_TRIANGLES = 8_000
"""Depth pre-pass only for models this dense: it saves ≈20 % of the DamagedHelmet's
colour pass (15 k triangles, heavy overdraw) but costs the Duck (4 k) ≈4 ms for nothing."""


def lighting_uniforms(
    program: moderngl.Program,
    camera: Camera,
    lighting: Lighting,
    shadow_view_proj: np.ndarray | None,
) -> None:
    """Camera, IBL, key-light and tone-mapping uniforms shared by every lit draw of a
    pass (the caller binds ``lighting.ibl``'s textures: :func:`bind_lighting`)."""
    ibl = lighting.ibl
    view = camera.view_matrix()
    set_uniform(program, "u_view", view)
    set_uniform(program, "u_view_proj", camera.projection_matrix() @ view)
    set_uniform(program, "u_camera_pos", tuple(float(x) for x in camera.position))
    set_uniform(program, "u_exposure", EXPOSURE)
    set_uniform(program, "u_env_specular", ENV_UNIT)
    set_uniform(program, "u_brdf_lut", LUT_UNIT)
    set_uniform(program, "u_env_irradiance", IRRADIANCE_UNIT)
    set_uniform(program, "u_env_max_lod", ibl.max_lod)
    set_uniform(program, "u_env_intensity", lighting.intensity)
    set_uniform(program, "u_env_rotation", lighting.rotation_cs)
    set_uniform(program, "u_light_dir", tuple(float(x) for x in lighting.light_direction))
    set_uniform(program, "u_light_color", LIGHT_COLOR if lighting.key_light else (0.0, 0.0, 0.0))
    set_uniform(program, "u_shadow_map", SHADOW_UNIT)
    self_shadowed = shadow_view_proj is not None and lighting.key_light
    set_uniform(program, "u_shadows_enabled", 1.0 if self_shadowed else 0.0)
    if self_shadowed:
        set_uniform(program, "u_light_view_proj", shadow_view_proj)


def lit_defines(lighting: Lighting) -> dict[str, object]:
    """Switches of every lit program of a job (pass them to draw_meshes)."""
    return {"TONE_MAPPING": TONE_MAPPING_CODES[lighting.tone_mapping]}


def bind_lighting(lighting: Lighting) -> None:
    """Bind the environment's tables to the units :func:`lighting_uniforms` names."""
    lighting.ibl.specular.use(ENV_UNIT)
    lighting.ibl.brdf_lut.use(LUT_UNIT)
    lighting.ibl.irradiance.use(IRRADIANCE_UNIT)


@dataclass
class _Job:
    """One scene being rendered: its GPU copy, framing and the last pose drawn."""

    scene: Scene
    gpu: GpuScene
    animation: Animation | None
    root: np.ndarray
    bounds: Bounds
    path: CameraPath
    lighting: Lighting
    pose: Pose | None = None
    pose_key: tuple[float, bytes] | None = None
    shadow_key: tuple[float, bytes] | None = None


class Renderer:
    """Renders videos of scenes with one :class:`RenderSettings`.

    GPU buffers for the output size live as long as the renderer; a scene's GPU copy is
    parked for the next renderer when another scene is rendered or :meth:`close` is called
    (:func:`~renderer.gl_scene.acquire_gpu_scene`). ``time_limit_s``
    bounds the wall time from construction; past it, the next frame raises
    :class:`~renderer.errors.RenderTimeout`.
    """

    def __init__(self, settings: RenderSettings, *, time_limit_s: float | None = None) -> None:
        self.settings = settings
        self.ctx = get_context()
        self.lighting = lighting_for(settings)
        self._deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
        ctx = self.ctx
        w, h = settings.width, settings.height
        self._target = SupersampledTarget(ctx, w, h, settings.supersample)
        self._backdrop = None if settings.transparent else Backdrop(ctx, backdrop_pixels(settings))
        self._env_background = (
            EnvironmentBackground(ctx, self.lighting, settings.vignette)
            if settings.background_environment and self._backdrop is not None
            else None
        )
        self._shadow = ctx.depth_texture((SHADOW_MAP_SIZE, SHADOW_MAP_SIZE))
        self._shadow.compare_func = "<="
        self._shadow.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._shadow.repeat_x = self._shadow.repeat_y = False
        self._shadow_fbo = ctx.framebuffer(depth_attachment=self._shadow)
        self._ground_shadow = ctx.texture((GROUND_SHADOW_SIZE, GROUND_SHADOW_SIZE), 4)
        self._ground_shadow.repeat_x = self._ground_shadow.repeat_y = False
        self._ground_shadow_fbo = ctx.framebuffer([self._ground_shadow])
        self._bake_program = get_program("fullscreen.vert", "ground_shadow.frag", {})
        self._bake_vao = ctx.vertex_array(self._bake_program, [])
        self._readback = [ctx.buffer(reserve=w * h * 4) for _ in range(2)]
        self._ground_program = get_program("ground.vert", "ground.frag", {})
        quad = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype=np.float32)
        self._ground_vbo = ctx.buffer(quad.tobytes())
        self._ground_vao = ctx.vertex_array(
            self._ground_program, [(self._ground_vbo, "2f", "a_xz")]
        )
        self._job: _Job | None = None

    @property
    def frame_count(self) -> int:
        return self.settings.frame_count

    def camera_path(self, scene: Scene) -> CameraPath:
        """The framing this renderer uses for ``scene`` (also useful on its own)."""
        return self._prepare(scene).path

    def frames(self, scene: Scene) -> Iterator[np.ndarray]:
        """Every frame of the video, in order, as H×W×4 uint8 (straight alpha)."""
        job = self._prepare(scene)
        pending: int | None = None
        for index in range(self.frame_count):
            self._draw(job, index)
            self._target.out_fbo.read_into(self._readback[index % 2], components=4)
            if pending is not None:
                yield self._collect(pending)
            pending = index
        if pending is not None:
            yield self._collect(pending)

    def render_frame(self, scene: Scene, frame_index: int) -> np.ndarray:
        """One frame (any index; the turntable's frame N is its frame 0 again)."""
        job = self._prepare(scene)
        self._draw(job, frame_index)
        self._target.out_fbo.read_into(self._readback[0], components=4)
        return self._collect(0)

    def render_view(self, scene: Scene, camera: Camera) -> np.ndarray:
        """One still of ``scene``'s rest pose in its own coordinates, seen from ``camera``:
        no staging, no effect path, no ground (what a fidelity scenario asks for: its
        camera is placed in the model's units). Shadows and the reflector are not drawn."""
        job = self._prepare(scene)
        job.pose = evaluate_pose(job.scene, None, 0.0, np.eye(4))
        job.gpu.update_pose(job.pose)
        job.pose_key = None  # the next video frame poses the staged scene again
        self._color_pass(job, job.pose, camera, None, None)
        if self._env_background is not None and self._backdrop is not None:
            self._env_background.draw(self._backdrop, camera)
        self._target.resolve(self._backdrop, vignette=self.settings.vignette, rect=None)
        self._target.out_fbo.read_into(self._readback[0], components=4)
        return self._collect(0)

    def close(self) -> None:
        """Release every GL object this renderer made (the shared context stays)."""
        self._drop_job()
        self._target.release()
        if self._backdrop is not None:
            self._backdrop.release()
        if self._env_background is not None:
            self._env_background.release()
        release(
            self._shadow_fbo,
            self._shadow,
            self._ground_shadow_fbo,
            self._ground_shadow,
            self._bake_vao,
            *self._readback,
            self._ground_vao,
            self._ground_vbo,
        )

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------

    def _collect(self, slot: int) -> np.ndarray:
        s = self.settings
        frame = np.empty((s.height, s.width, 4), dtype=np.uint8)
        self._readback[slot % 2].read_into(frame)
        return frame

    def _drop_job(self) -> None:
        if self._job is not None:
            park_gpu_scene(self._job.gpu)
            self._job = None

    def _prepare(self, scene: Scene) -> _Job:
        scene = scene.with_variant(self.settings.material_variant)  # the same object each time
        if self._job is not None and self._job.scene is scene:
            return self._job
        self._drop_job()
        root, bounds = stage(scene, self.settings)
        self._job = _Job(
            scene=scene,
            gpu=acquire_gpu_scene(self.ctx, scene),
            animation=scene.find_animation(self.settings.animation),
            root=root,
            bounds=bounds,
            path=CameraPath(self.settings, bounds),
            lighting=replace(self.lighting, key_light=key_light_on(self.settings.key_light, scene)),
        )
        return self._job

    def _draw(self, job: _Job, frame: int) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise RenderTimeout("rendering took longer than the job's time limit")
        s = self.settings
        t = clip_time(job.animation, frame / s.fps, s.animation_speed)
        model = job.path.model_matrix(frame)
        key = (t, model.tobytes())
        if job.pose_key != key or job.pose is None:
            job.pose = evaluate_pose(job.scene, job.animation, t, model @ job.root)
            job.gpu.update_pose(job.pose)
            job.pose_key = key
        pose = job.pose
        light_dir = self.lighting.light_direction
        shadow_vp = light_view_proj(job.bounds, light_dir) if s.shadows else None
        if shadow_vp is not None and job.shadow_key != key:
            self._shadow_pass(job, pose, shadow_vp)
            job.shadow_key = key
        camera = job.path.camera(frame)
        rect = camera.screen_rect(self._reach(job), s.width, s.height)
        self._color_pass(job, pose, camera, shadow_vp, rect)
        if self._env_background is not None and self._backdrop is not None:
            self._env_background.draw(self._backdrop, camera)
        self._target.resolve(self._backdrop, vignette=s.vignette, rect=rect)

    def _reach(self, job: _Job) -> np.ndarray:
        """Points bounding everything drawn: the model, its reflection, its shadow."""
        b = job.bounds
        corners = np.array(
            [
                [x, y, z]
                for x in (b.lo[0], b.hi[0])
                for y in (b.lo[1], b.hi[1])
                for z in (b.lo[2], b.hi[2])
            ]
        )
        parts = [corners]
        if self.settings.reflector:
            parts.append(transform_points(mirror_matrix(float(b.lo[1])), corners))
        if self.settings.shadows:
            center, half = ground_rect(b, self.lighting.light_direction)
            parts.append(
                np.array(
                    [
                        [center[0] + sx * half[0], b.lo[1], center[1] + sz * half[1]]
                        for sx in (-1, 1)
                        for sz in (-1, 1)
                    ]
                )
            )
        return np.concatenate(parts)

    def _shadow_pass(self, job: _Job, pose: Pose, light_vp: np.ndarray) -> None:
        ctx = self.ctx
        self._shadow_fbo.use()
        self._shadow_fbo.clear(depth=1.0)
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND)

        def shared(program: moderngl.Program) -> None:
            set_uniform(program, "u_view", np.eye(4))
            set_uniform(program, "u_view_proj", light_vp)

        draw_meshes(job.gpu, pose, "depth", np.eye(4), shared)
        ctx.disable(moderngl.CULL_FACE)
        self._bake_ground_shadow(job.bounds, light_vp)

    def _bake_ground_shadow(self, bounds: Bounds, light_vp: np.ndarray) -> None:
        """Soft ground shadow into a texture, once per shadow map (see ground_shadow.frag)."""
        ctx, program = self.ctx, self._bake_program
        self._ground_shadow_fbo.use()
        ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND)
        self._shadow.use(SHADOW_UNIT)
        center, half = ground_rect(bounds, self.lighting.light_direction)
        set_uniform(program, "u_center", tuple(float(x) for x in center))
        set_uniform(program, "u_half_size", tuple(float(x) for x in half))
        set_uniform(program, "u_ground_y", float(bounds.lo[1]))
        set_uniform(program, "u_shadow_opacity", SHADOW_OPACITY)
        set_uniform(program, "u_shadow_map", SHADOW_UNIT)
        set_uniform(program, "u_light_view_proj", light_vp)
        set_uniform(program, "u_shadow_softness", GROUND_SHADOW_SOFTNESS)
        self._bake_vao.render(moderngl.TRIANGLES, vertices=3)

    def _color_pass(
        self,
        job: _Job,
        pose: Pose,
        camera: Camera,
        shadow_vp: np.ndarray | None,
        rect: Rect | None,
    ) -> None:
        ctx, s, bounds = self.ctx, self.settings, job.bounds
        self._target.begin()
        ctx.scissor = self._target.scissor(rect)  # nothing is shaded where nothing can land
        ctx.enable(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA
        bind_lighting(self.lighting)
        self._shadow.use(SHADOW_UNIT)
        ground_y = float(bounds.lo[1])
        view = camera.view_matrix()
        if s.reflector:
            fade = max(0.5 * float(bounds.hi[1] - bounds.lo[1]), 1e-6)

            def mirrored(program: moderngl.Program) -> None:
                lighting_uniforms(program, camera, job.lighting, shadow_vp)
                set_uniform(program, "u_mirror", REFLECTION_STRENGTH)
                set_uniform(program, "u_ground_y", ground_y)
                set_uniform(program, "u_reflect_fade", fade)

            draw_meshes(
                job.gpu,
                pose,
                "reflection",
                view,
                mirrored,
                extra=mirror_matrix(ground_y),
                defines=lit_defines(job.lighting),
            )
        if shadow_vp is not None:
            self._draw_ground(camera, bounds)
            self._shadow.use(SHADOW_UNIT)

        def depth_only(program: moderngl.Program) -> None:
            set_uniform(program, "u_view", view)
            set_uniform(program, "u_view_proj", camera.projection_matrix() @ view)

        def direct(program: moderngl.Program) -> None:
            lighting_uniforms(program, camera, job.lighting, shadow_vp)

        if job.scene.triangle_count >= PREPASS_MIN_TRIANGLES:
            self._target.fbo.color_mask = (False, False, False, False)
            draw_meshes(job.gpu, pose, "depth", view, depth_only, opaque_only=True)
            self._target.fbo.color_mask = (True, True, True, True)
        ctx.depth_func = "<="
        draw_meshes(job.gpu, pose, "color", view, direct, defines=lit_defines(job.lighting))
        ctx.depth_func = "<"
        ctx.disable(moderngl.CULL_FACE)
        ctx.scissor = None

    def _draw_ground(self, camera: Camera, bounds: Bounds) -> None:
        ctx, program = self.ctx, self._ground_program
        ctx.disable(moderngl.CULL_FACE)
        ctx.fbo.depth_mask = False
        self._ground_shadow.use(SHADOW_UNIT)
        set_uniform(program, "u_ground_shadow", SHADOW_UNIT)
        center, half = ground_rect(bounds, self.lighting.light_direction)
        set_uniform(program, "u_center", tuple(float(x) for x in center))
        set_uniform(program, "u_half_size", tuple(float(x) for x in half))
        set_uniform(program, "u_ground_y", float(bounds.lo[1]))
        set_uniform(program, "u_view_proj", camera.projection_matrix() @ camera.view_matrix())
        self._ground_vao.render(moderngl.TRIANGLE_STRIP)
        ctx.fbo.depth_mask = True

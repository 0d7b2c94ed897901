"""Dataset layers from an explicit camera: colour, depth, normals and coverage mask.

For NeRF / Gaussian-splatting exports: the dataset writer chooses the cameras, this
module draws what each sees. Only the model is drawn (no shadow catcher, reflector or
vignette); the model is posed at its rest pose (no animation).
"""

from __future__ import annotations

from dataclasses import dataclass

import moderngl
import numpy as np

from renderer.animation import evaluate_pose
from renderer.camera import Camera
from renderer.draw import draw_meshes
from renderer.frame_renderer import bind_lighting, lighting_uniforms, lit_defines
from renderer.gl_context import get_context, release, set_uniform
from renderer.gl_scene import GpuScene
from renderer.ibl import get_ibl
from renderer.lighting import Lighting
from renderer.scene import Scene
from renderer.ssaa import SupersampledTarget


@dataclass
class Layers:
    """What one camera sees. All arrays are H×W, top row first.

    - ``rgba``: H×W×4 uint8, sRGB, 2× SSAA, transparent background; colour is straight
      (un-premultiplied) alpha computed from premultiplied averages, so edges carry no
      dark or background fringe. Composite over white with ``rgb·a + 255·(1−a)``.
    - ``depth``: H×W float32 planar z-depth (distance along the camera's viewing axis) in
      scene units, one exact sample per pixel centre (not supersampled); 0 = background.
    - ``normal``: H×W×3 float32 world-space unit normals after normal mapping, facing the
      camera on double-sided surfaces; 0 for background.
    - ``mask``: H×W uint8 anti-aliased coverage 0..255 (= ``rgba[..., 3]``).
    - ``bg_color``: the sRGB colour (0..1) that :meth:`rgb` composites over.
    """

    rgba: np.ndarray
    depth: np.ndarray
    normal: np.ndarray
    mask: np.ndarray
    bg_color: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def rgb(self) -> np.ndarray:
        """H×W×3 uint8: ``rgba`` over ``bg_color`` (the dataset's ``images/`` frames)."""
        a = self.rgba[..., 3:4].astype(np.float32) / 255.0
        bg = np.asarray(self.bg_color, np.float32) * 255.0
        out = self.rgba[..., :3].astype(np.float32) * a + bg * (1.0 - a)
        return np.round(out).astype(np.uint8)


class LayersRenderer:
    """Renders layers of one scene from many cameras (a dataset's views).

    The scene is uploaded once and the render targets are kept while the size stays the
    same, so 400 views cost 400 draws, not 400 uploads. Call :meth:`close` (or use it as
    a context manager) to release the GPU copy.
    """

    def __init__(self, scene: Scene) -> None:
        self.ctx = get_context()
        self.ibl = get_ibl()
        self.gpu = GpuScene(self.ctx, scene)
        self.pose = evaluate_pose(scene, None, 0.0)
        self.gpu.update_pose(self.pose)
        self._size: tuple[int, int] | None = None
        self._objects: list[moderngl.Texture | moderngl.Renderbuffer | moderngl.Framebuffer] = []
        self._target: SupersampledTarget | None = None
        self._layer_fbo: moderngl.Framebuffer | None = None

    def render(
        self,
        camera: Camera,
        width: int,
        height: int,
        *,
        bg_color: tuple[float, float, float] = (1.0, 1.0, 1.0),
    ) -> Layers:
        """The four layers from ``camera`` at width×height (see :func:`render_layers`)."""
        target, layer_fbo = self._targets(width, height)
        ctx, ibl, gpu, pose = self.ctx, self.ibl, self.gpu, self.pose
        target.begin()
        ctx.enable(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA
        lighting = Lighting(ibl)
        bind_lighting(lighting)
        view = camera.view_matrix()

        def lit(program: moderngl.Program) -> None:
            lighting_uniforms(program, camera, lighting, None)

        draw_meshes(gpu, pose, "color", view, lit, defines=lit_defines(lighting))
        target.resolve(None, vignette=0.0)
        rgba = target.read()

        layer_fbo.use()
        layer_fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        ctx.disable(moderngl.BLEND)
        # the colour pass's resolve switched depth testing off: only the nearest surface
        # may land in the depth and normal layers
        ctx.enable(moderngl.DEPTH_TEST)

        def plain(program: moderngl.Program) -> None:
            set_uniform(program, "u_view", view)
            set_uniform(program, "u_view_proj", camera.projection_matrix() @ view)

        draw_meshes(gpu, pose, "layers", view, plain)
        ctx.disable(moderngl.CULL_FACE)
        normal = np.frombuffer(layer_fbo.read(components=4, dtype="f4", attachment=0), np.float32)
        depth = np.frombuffer(layer_fbo.read(components=1, dtype="f4", attachment=1), np.float32)
        normal = np.flipud(normal.reshape(height, width, 4))[..., :3]
        depth = np.flipud(depth.reshape(height, width))
        length = np.linalg.norm(normal, axis=2, keepdims=True)
        normal = np.divide(normal, length, out=np.zeros_like(normal), where=length > 0)
        return Layers(
            rgba=rgba,
            depth=np.ascontiguousarray(depth, dtype=np.float32),
            normal=np.ascontiguousarray(normal, dtype=np.float32),
            mask=rgba[..., 3].copy(),
            bg_color=bg_color,
        )

    def _targets(self, width: int, height: int) -> tuple[SupersampledTarget, moderngl.Framebuffer]:
        if self._size != (width, height) or self._target is None or self._layer_fbo is None:
            self._release_targets()
            ctx = self.ctx
            self._target = SupersampledTarget(ctx, width, height)
            normal_tex = ctx.texture((width, height), 4, dtype="f4")
            depth_tex = ctx.texture((width, height), 1, dtype="f4")
            depth_rb = ctx.depth_renderbuffer((width, height))
            self._layer_fbo = ctx.framebuffer([normal_tex, depth_tex], depth_rb)
            self._objects = [self._layer_fbo, normal_tex, depth_tex, depth_rb]
            self._size = (width, height)
        return self._target, self._layer_fbo

    def _release_targets(self) -> None:
        if self._target is not None:
            self._target.release()
        release(*self._objects)
        self._target, self._layer_fbo, self._objects, self._size = None, None, [], None

    def close(self) -> None:
        self._release_targets()
        self.gpu.release()

    def __enter__(self) -> LayersRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_layers(
    scene: Scene,
    camera: Camera,
    width: int,
    height: int,
    *,
    bg_color: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Layers:
    """Render the four layers of ``scene`` from ``camera`` at width×height.

    ``camera.near``/``far`` must enclose the model (they bound the depth range).
    ``rgba`` stays transparent; ``bg_color`` (sRGB, 0..1) is what ``Layers.rgb()``
    composites it over. For many views of one scene use :class:`LayersRenderer`.
    """
    with LayersRenderer(scene) as renderer:
        return renderer.render(camera, width, height, bg_color=bg_color)

"""The 2× supersampled colour target and its resolve to output size, on the GPU.

The target is premultiplied linear colour in an sRGB8_ALPHA8 texture: the GPU encodes
on write (cheaper on llvmpipe than three ``pow`` per fragment), blends in linear space,
and decodes before filtering, so the resolve's single bilinear fetch at the centre of
each 2×2 block is the exact box average in linear light. The resolve then encodes to
sRGB, lays the result over the backdrop (the background with its vignette, made once
per job) or un-premultiplies it for transparent output, and writes rows top-first so
read-back needs no flip.

Only the screen rectangle the model can reach (``rect``) is resolved; the rest of the
output is a copy of the backdrop, which costs a memcpy instead of a shader run per pixel.
The 2× target is cleared whole: llvmpipe clears a whole surface tile by tile in its
binner, a scissored clear is drawn (4.8 ms against 1.8 ms for a DamagedHelmet share
frame, bench/render_profile.py).
"""

from __future__ import annotations

import moderngl
import numpy as np

from renderer.gl_context import get_program, release, set_uniform

SRGB8_ALPHA8 = 0x8C43
FRAMEBUFFER_SRGB = 0x8DB9


Rect = tuple[int, int, int, int]
"""x, y, width, height in output pixels, y counted from the top row."""


class Backdrop:
    """The opaque frame behind the model: background with vignette, output size, RGBA8."""

    def __init__(self, ctx: moderngl.Context, pixels: np.ndarray) -> None:
        height, width = pixels.shape[:2]
        self.texture = ctx.texture((width, height), 4, np.ascontiguousarray(pixels).tobytes())
        self.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.fbo = ctx.framebuffer([self.texture])

    def release(self) -> None:
        release(self.fbo, self.texture)


class SupersampledTarget:
    """A ``factor``×-size colour+depth framebuffer and an output-size RGBA8 one.

    ``factor`` 2 is the 2×2 SSAA of every charged render; 1 draws at output size (the
    free preview: a quarter of the fragments), where the resolve's bilinear fetch at the
    pixel centre is that pixel exactly.
    """

    def __init__(self, ctx: moderngl.Context, width: int, height: int, factor: int = 2) -> None:
        self.ctx = ctx
        self.width, self.height = width, height
        self.factor = factor
        size = (factor * width, factor * height)
        self.color = ctx.texture(size, 4, internal_format=SRGB8_ALPHA8)
        self.color.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.color.repeat_x = self.color.repeat_y = False
        self.depth = ctx.depth_renderbuffer(size)
        self.fbo = ctx.framebuffer([self.color], self.depth)
        self.out = ctx.renderbuffer((width, height), 4)
        self.out_fbo = ctx.framebuffer([self.out])
        self._program = get_program("fullscreen.vert", "resolve.frag", {})
        self._vao = ctx.vertex_array(self._program, [])

    def begin(self) -> None:
        """Bind the supersampled target with sRGB encoding on, cleared."""
        self.fbo.use()
        self.ctx.enable_direct(FRAMEBUFFER_SRGB)
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)

    def scissor(self, rect: Rect | None) -> Rect | None:
        """``rect`` (output pixels, y from the top) as a scissor box of this target
        (its pixels, y from the bottom: the scene is drawn upright, the resolve flips it)."""
        if rect is None:
            return None
        x, y, w, h = rect
        f = self.factor
        return (f * x, f * (self.height - y - h), f * w, f * h)

    def resolve(
        self,
        backdrop: Backdrop | None,
        *,
        vignette: float,
        rect: Rect | None = None,
    ) -> None:
        """Downsample ``rect`` into the output over ``backdrop`` (None: transparent)."""
        ctx, program = self.ctx, self._program
        if backdrop is None:
            self.out_fbo.clear(0.0, 0.0, 0.0, 0.0)
        else:
            ctx.copy_framebuffer(self.out_fbo, backdrop.fbo)
        self.out_fbo.use()
        ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND)
        self.color.use(0)
        set_uniform(program, "u_scene", 0)
        if backdrop is not None:
            backdrop.texture.use(1)
            set_uniform(program, "u_background", 1)
        set_uniform(program, "u_transparent", backdrop is None)
        set_uniform(program, "u_vignette", vignette)
        set_uniform(program, "u_output_size", (float(self.width), float(self.height)))
        ctx.scissor = rect
        self._vao.render(moderngl.TRIANGLES, vertices=3)
        ctx.scissor = None

    def read(self) -> np.ndarray:
        """The output framebuffer as H×W×4 uint8 (synchronous; for one-off renders)."""
        data = self.out_fbo.read(components=4)
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width, 4).copy()

    def release(self) -> None:
        release(self.fbo, self.color, self.depth, self.out_fbo, self.out, self._vao)

"""The 2× supersampled colour target and its resolve to output size, on the GPU.

The target is premultiplied linear colour in an sRGB8_ALPHA8 texture: the GPU encodes
on write (cheaper on llvmpipe than three ``pow`` per fragment), blends in linear space,
and decodes before filtering, so the resolve's single bilinear fetch at the centre of
each 2×2 block is the exact box average in linear light. The resolve then encodes to
sRGB, lays the result over the background (or un-premultiplies it for transparent
output), applies the vignette and writes rows top-first so read-back needs no flip.
"""

from __future__ import annotations

import moderngl
import numpy as np

from renderer.gl_context import get_program, release, set_uniform

SRGB8_ALPHA8 = 0x8C43
FRAMEBUFFER_SRGB = 0x8DB9


class SupersampledTarget:
    """A 2×-size colour+depth framebuffer and an output-size RGBA8 one."""

    def __init__(self, ctx: moderngl.Context, width: int, height: int) -> None:
        self.ctx = ctx
        self.width, self.height = width, height
        self.color = ctx.texture((2 * width, 2 * height), 4, internal_format=SRGB8_ALPHA8)
        self.color.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.color.repeat_x = self.color.repeat_y = False
        self.depth = ctx.depth_renderbuffer((2 * width, 2 * height))
        self.fbo = ctx.framebuffer([self.color], self.depth)
        self.out = ctx.renderbuffer((width, height), 4)
        self.out_fbo = ctx.framebuffer([self.out])
        self._program = get_program("fullscreen.vert", "resolve.frag", {})
        self._vao = ctx.vertex_array(self._program, [])

    def begin(self) -> None:
        """Bind the 2× target, cleared to transparent, with sRGB encoding on."""
        self.fbo.use()
        self.ctx.enable_direct(FRAMEBUFFER_SRGB)
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)

    def resolve(
        self, background: moderngl.Texture | None, *, transparent: bool, vignette: float
    ) -> None:
        """Downsample into the output framebuffer (``background`` unused if transparent)."""
        ctx, program = self.ctx, self._program
        self.out_fbo.use()
        ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND)
        self.color.use(0)
        set_uniform(program, "u_scene", 0)
        if background is not None:
            background.use(1)
            set_uniform(program, "u_background", 1)
        set_uniform(program, "u_transparent", transparent or background is None)
        set_uniform(program, "u_vignette", vignette)
        set_uniform(program, "u_output_size", (float(self.width), float(self.height)))
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def read(self) -> np.ndarray:
        """The output framebuffer as H×W×4 uint8 (synchronous; for one-off renders)."""
        data = self.out_fbo.read(components=4)
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width, 4).copy()

    def release(self) -> None:
        release(self.fbo, self.color, self.depth, self.out_fbo, self.out, self._vao)

"""GPU tables of image-based lighting, made from an :class:`~renderer.environment.Environment`.

Per map content (its digest), once per process: the radiance map itself (float32 with
mipmaps: the source of the prefilter and the camera background), a GGX-prefiltered
specular chain (one equirectangular mip per roughness step on the GPU), and a small
irradiance cube map (the cosine-weighted integral of the map
for every normal, numpy). Not 9 spherical harmonics: a real sky's sun rings through
them (irradiance off by 24 % on average and by up to 96 % on the side away from the
sun for the Khronos fidelity HDRs), while the cube map is exact to quadrature error.
The split-sum BRDF table does not depend on the map and is made once.

A real sky puts most of its light into a few texels (the sun: 5 texels of a 1k map
carry 76 % of the Khronos afternoon sky's flux), which importance sampling only finds by
luck: rough reflections came out 100-280 % off beside it. So the prefilter splits the
map: the :data:`MAX_BRIGHT_TEXELS` brightest texels (those above
:data:`BRIGHT_FACTOR` × the mean) are summed exactly for every output texel, and only
the smooth rest is importance-sampled. A few maps stay cached
(:data:`CACHED_ENVIRONMENTS`); the least recently used one beyond that is released.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import moderngl
import numpy as np

from renderer.environment import Environment, builtin_environment, halve
from renderer.gl_context import get_context, get_program, release, set_uniform
from renderer.studio import equirect_directions

SPECULAR_WIDTH = 512
"""Width of the mirror level (roughness 0); each rougher level halves it."""
SPECULAR_LEVELS = 6
PREFILTER_SAMPLES = 256
SUMMED_FROM_LEVEL = 3
"""From this specular level on (roughness 0.6) the lobe is wide enough to sum the smooth
map texel by texel at :data:`SUMMED_WIDTH` (exact instead of sampled)."""
SUMMED_WIDTH = 64
IRRADIANCE_SIZE = 16
"""Texels per cube face: irradiance varies slowly (a cosine lobe is 180° wide)."""
IRRADIANCE_SOURCE_WIDTH = 128
"""The map is box-filtered to this width before the cosine integral (2.8° texels)."""
TEXTURE_CUBE_MAP_SEAMLESS = 0x884F
BRIGHT_FACTOR = 16.0
MAX_BRIGHT_TEXELS = 256
LUMINANCE = np.array([0.2126, 0.7152, 0.0722], np.float32)
BRDF_LUT_SIZE = 64
CACHED_ENVIRONMENTS = 4
MAX_HALF_FLOAT = 65000.0


@dataclass
class IBL:
    """The lighting tables of one environment map."""

    radiance: moderngl.Texture
    specular: moderngl.Texture
    irradiance: moderngl.TextureCube
    brdf_lut: moderngl.Texture
    max_lod: float
    digest: str

    def release(self) -> None:
        release(self.radiance, self.specular, self.irradiance)


def cube_directions(size: int) -> np.ndarray:
    """6×size×size×3 unit directions of the texel centres of a GL cube map, faces in GL
    order (+X, −X, +Y, −Y, +Z, −Z), rows in upload order (the GL spec's s/t table)."""
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    sc, tc = np.meshgrid(c, c)  # sc along a row, tc down the rows
    one = np.ones_like(sc)
    faces = [
        (one, -tc, -sc),
        (-one, -tc, sc),
        (sc, one, tc),
        (sc, -one, -tc),
        (sc, -tc, one),
        (-sc, -tc, -one),
    ]
    d = np.stack([np.stack(f, axis=-1) for f in faces])
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def irradiance_cube(radiance: np.ndarray, size: int = IRRADIANCE_SIZE) -> np.ndarray:
    """Irradiance / π (what a white Lambertian surface reflects) for the normals of a
    cube map's texels: 6×size×size×3 float32.

    The cosine integral is a quadrature over the box-filtered map, divided by the same
    quadrature of a constant map instead of by π, so a uniform environment comes out
    exactly uniform.
    """
    rad = radiance
    while rad.shape[1] > IRRADIANCE_SOURCE_WIDTH:
        rad = halve(rad)
    height, width, _ = rad.shape
    d = equirect_directions(width, height).reshape(-1, 3)
    theta = (np.arange(height) + 0.5) / height * np.pi
    solid_angle = np.repeat((2 * np.pi / width) * (np.pi / height) * np.sin(theta), width)
    flat = rad.reshape(-1, 3).astype(np.float64)
    normals = cube_directions(size).reshape(-1, 3)
    out = np.empty((len(normals), 3))
    for start in range(0, len(normals), 256):
        cos = np.clip(normals[start : start + 256] @ d.T, 0.0, None) * solid_angle
        out[start : start + 256] = (cos @ flat) / cos.sum(axis=1, keepdims=True)
    return out.reshape(6, size, size, 3).astype(np.float32)


def split_bright(radiance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the map without its brightest texels, their directions K×3, their power K×3).

    Power is radiance × the texel's solid angle, so the removed texels' light is kept
    exactly: map = rest + Σ power_k · δ(direction_k).
    """
    height, width, _ = radiance.shape
    lum = radiance @ LUMINANCE
    bright = np.flatnonzero(lum > BRIGHT_FACTOR * max(float(lum.mean()), 1e-12))
    theta = (np.arange(height) + 0.5) / height * np.pi
    solid_angle = (2 * np.pi / width) * (np.pi / height) * np.sin(theta)
    rows = bright // width
    bright = bright[np.argsort(-(lum.reshape(-1)[bright] * solid_angle[rows]))]
    bright = bright[:MAX_BRIGHT_TEXELS]
    rows, cols = bright // width, bright % width
    rest = radiance.copy()
    power = (radiance[rows, cols] * solid_angle[rows, None]).astype(np.float32)
    rest[rows, cols] = 0.0
    directions = equirect_directions(width, height)[rows, cols].astype(np.float32)
    return rest, directions, power


def ggx_normaliser(roughness: float, steps: int = 4096) -> float:
    """∫ (n·l)₊ D(h) dl with v = n: what the prefilter's weights sum to (h-space 1-D
    quadrature over the GGX distribution's own CDF, so narrow lobes are resolved)."""
    a2 = roughness**4
    xi = (np.arange(steps) + 0.5) / steps
    cos_h = np.sqrt((1.0 - xi) / (1.0 + (a2 - 1.0) * xi))
    n_dot_l = np.clip(2.0 * cos_h * cos_h - 1.0, 0.0, None)
    # dl = 4 (n·h) dh and the CDF's density is D(h)(n·h): the (n·h) cancel
    return float(np.mean(4.0 * n_dot_l))


_cache: OrderedDict[str, IBL] = OrderedDict()
_brdf_lut: moderngl.Texture | None = None


def get_ibl(environment: Environment | None = None) -> IBL:
    """The tables of ``environment`` (default: the studio), made on first use.

    Cached by content digest; at most :data:`CACHED_ENVIRONMENTS` maps stay on the GPU.
    Renderers in one process run one at a time on its GL thread, so a table is never
    released while a render still uses it as long as fewer maps than that alternate.
    """
    env = environment if environment is not None else builtin_environment("studio")
    ibl = _cache.get(env.digest)
    if ibl is None:
        ibl = _build(env)
        _cache[env.digest] = ibl
        while len(_cache) > CACHED_ENVIRONMENTS:
            _cache.popitem(last=False)[1].release()
    _cache.move_to_end(env.digest)
    return ibl


def brdf_lut() -> moderngl.Texture:
    """Split-sum table: x = n·v, y = roughness → (scale, bias) of F0; made once."""
    global _brdf_lut
    if _brdf_lut is None:
        ctx = get_context()
        lut = ctx.texture((BRDF_LUT_SIZE, BRDF_LUT_SIZE), 4, dtype="f2")
        lut.repeat_x = lut.repeat_y = False
        program = get_program("fullscreen.vert", "brdf_lut.frag", {})
        vao = ctx.vertex_array(program, [])
        fbo = ctx.framebuffer(color_attachments=[lut])
        fbo.use()
        vao.render(moderngl.TRIANGLES, vertices=3)
        release(fbo, vao)
        _brdf_lut = lut
    return _brdf_lut


def _build(env: Environment) -> IBL:
    ctx = get_context()
    width, height = env.width, env.height
    source = _map_texture(ctx, env.radiance)
    rest, directions, power = split_bright(env.radiance)
    smooth = _map_texture(ctx, rest)
    count = len(directions)
    bright = ctx.texture((max(count, 1), 2), 4, dtype="f4")
    if count:
        table = np.zeros((2, count, 4), np.float32)
        table[0, :, :3], table[1, :, :3] = directions, power
        bright.write(table.tobytes())
    bright.filter = (moderngl.NEAREST, moderngl.NEAREST)
    base = (SPECULAR_WIDTH, SPECULAR_WIDTH // 2)
    specular = ctx.texture(base, 4, dtype="f2")  # half floats: half the fetch bandwidth
    specular.repeat_y = False
    specular.build_mipmaps(0, SPECULAR_LEVELS - 1)  # allocates the levels we fill below
    specular.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    program = get_program(
        "fullscreen.vert", "ibl_prefilter.frag", {"SAMPLES": f"{PREFILTER_SAMPLES}u"}
    )
    vao = ctx.vertex_array(program, [])
    source.use(0)
    smooth.use(1)
    bright.use(2)
    set_uniform(program, "u_source", 0)
    set_uniform(program, "u_smooth", 1)
    set_uniform(program, "u_bright", 2)
    set_uniform(program, "u_bright_count", count)
    set_uniform(program, "u_source_texels", float(width * height))
    set_uniform(program, "u_max_value", MAX_HALF_FLOAT)
    for level in range(SPECULAR_LEVELS):
        # moderngl cannot attach a mip level, so each level renders into its own
        # texture and is copied in.
        size = (max(1, base[0] >> level), max(1, base[1] >> level))
        target = ctx.texture(size, 4, dtype="f4")
        fbo = ctx.framebuffer(color_attachments=[target])
        fbo.use()
        roughness = level / (SPECULAR_LEVELS - 1)
        set_uniform(program, "u_roughness", roughness)
        if level:
            set_uniform(program, "u_inv_normaliser", 1.0 / ggx_normaliser(roughness))
        summed = level >= SUMMED_FROM_LEVEL and width > SUMMED_WIDTH
        set_uniform(program, "u_sum_lod", round(math.log2(width / SUMMED_WIDTH)) if summed else -1)
        # the mirror level is the map box-filtered to this level's texel size
        set_uniform(program, "u_mirror_lod", max(0.0, math.log2(width / size[0])))
        vao.render(moderngl.TRIANGLES, vertices=3)
        specular.write(fbo.read(components=4, dtype="f2"), level=level)
        release(fbo, target)
    release(vao, smooth, bright)
    cube = irradiance_cube(env.radiance)
    irradiance = ctx.texture_cube((IRRADIANCE_SIZE, IRRADIANCE_SIZE), 3, dtype="f4")
    for face in range(6):
        irradiance.write(face, np.ascontiguousarray(cube[face]).tobytes())
    irradiance.filter = (moderngl.LINEAR, moderngl.LINEAR)
    ctx.enable_direct(TEXTURE_CUBE_MAP_SEAMLESS)  # filter across face edges
    return IBL(
        radiance=source,
        specular=specular,
        irradiance=irradiance,
        brdf_lut=brdf_lut(),
        max_lod=float(SPECULAR_LEVELS - 1),
        digest=env.digest,
    )


def _map_texture(ctx: moderngl.Context, radiance: np.ndarray) -> moderngl.Texture:
    height, width = radiance.shape[:2]
    tex = ctx.texture((width, height), 3, np.ascontiguousarray(radiance).tobytes(), dtype="f4")
    tex.repeat_y = False  # no bleeding across a pole
    tex.build_mipmaps()
    tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    return tex


def warm_up() -> None:
    """Create the GL context and the studio's tables now, before the first job.

    Both are per-process and take a second or more on llvmpipe; a worker that does this
    while it is idle keeps that cost off its first render.
    """
    get_ibl()

"""The procedural studio environment and its image-based-lighting tables.

A photo studio in a formula (no HDRI download): a soft grey sweep from a bright ceiling
to a darker floor, a large overhead soft box, a key box front-left, a fill box right and
a rim strip behind. From it, once per process: the prefiltered specular map (one
equirectangular mip per roughness step, GGX-filtered on the GPU), 9 spherical-harmonic
irradiance coefficients (numpy), and the split-sum BRDF table (GPU). The lighting is
fixed in world space; the model's front (+Z) faces the key box.
"""

from __future__ import annotations

from dataclasses import dataclass

import moderngl
import numpy as np

from renderer.gl_context import get_context, get_program, release, set_uniform

ENV_WIDTH, ENV_HEIGHT = 512, 256
SPECULAR_LEVELS = 6
BRDF_LUT_SIZE = 64

# (direction towards the box, angular radius in degrees, linear RGB radiance)
SOFT_BOXES = (
    ((0.0, 1.0, 0.15), 32.0, (3.2, 3.2, 3.2)),  # overhead
    ((-0.62, 0.45, 0.64), 18.0, (5.0, 4.9, 4.7)),  # key, front-left
    ((0.85, 0.25, 0.45), 22.0, (1.4, 1.45, 1.5)),  # fill, right
    ((0.35, 0.35, -0.87), 12.0, (3.5, 3.5, 3.6)),  # rim, behind
)


def environment_radiance(width: int = ENV_WIDTH, height: int = ENV_HEIGHT) -> np.ndarray:
    """The studio as an equirectangular H×W×3 float32 radiance map (row 0 = straight up)."""
    v = (np.arange(height) + 0.5) / height
    u = (np.arange(width) + 0.5) / width
    theta = v[:, None] * np.pi
    phi = (u[None, :] - 0.5) * 2.0 * np.pi
    d = np.stack(
        np.broadcast_arrays(
            np.sin(theta) * np.sin(phi), np.cos(theta), -np.sin(theta) * np.cos(phi)
        ),
        axis=-1,
    )
    y = d[..., 1:2]
    sky = np.array([0.62, 0.62, 0.64])
    horizon = np.array([0.42, 0.42, 0.42])
    floor = np.array([0.16, 0.16, 0.16])
    up = np.clip(y, 0.0, 1.0)
    down = np.clip(-y, 0.0, 1.0)
    base = horizon + (sky - horizon) * np.sqrt(up) + (floor - horizon) * np.sqrt(down)
    radiance = base.copy()
    for direction, radius, color in SOFT_BOXES:
        axis = np.asarray(direction) / np.linalg.norm(direction)
        cos_angle = np.clip(d @ axis, -1.0, 1.0)
        angle = np.degrees(np.arccos(cos_angle))
        mask = 1.0 - np.clip((angle - radius * 0.75) / (radius * 0.25), 0.0, 1.0)
        radiance += mask[..., None] ** 2 * np.asarray(color)
    return radiance.astype(np.float32)


def irradiance_sh9(radiance: np.ndarray) -> np.ndarray:
    """9 SH coefficients of irradiance/π, with the basis constants folded in.

    The shader evaluates ``Σ coeff_k · poly_k(n)`` with plain polynomials (1, y, z, x,
    xy, yz, 3z²−1, xz, x²−y²), so each coefficient is ``A_l · L_k · c_k / π`` where
    ``Y_k = c_k · poly_k`` and ``A_l`` is the clamped-cosine convolution factor.
    """
    height, width, _ = radiance.shape
    theta = (np.arange(height) + 0.5) / height * np.pi
    phi = ((np.arange(width) + 0.5) / width - 0.5) * 2.0 * np.pi
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    x = st * np.sin(phi)[None, :]
    y = np.broadcast_to(ct, (height, width))
    z = -st * np.cos(phi)[None, :]
    solid_angle = (2 * np.pi / width) * (np.pi / height) * np.broadcast_to(st, (height, width))
    polys = [np.ones_like(x), y, z, x, x * y, y * z, 3 * z * z - 1, x * z, x * x - y * y]
    consts = [0.282095, 0.488603, 0.488603, 0.488603, 1.092548, 1.092548, 0.315392, 1.092548]
    consts.append(0.546274)
    bands = [np.pi] + [2 * np.pi / 3] * 3 + [np.pi / 4] * 5
    coeffs = []
    for poly, c, a in zip(polys, consts, bands, strict=True):
        l_k = np.tensordot(c * poly * solid_angle, radiance, axes=([0, 1], [0, 1]))
        coeffs.append(a * l_k * c / np.pi)
    return np.array(coeffs, dtype=np.float32)


@dataclass
class IBL:
    """GPU-side lighting tables shared by every job of the process."""

    specular: moderngl.Texture
    brdf_lut: moderngl.Texture
    sh: np.ndarray
    max_lod: float


_cache: IBL | None = None


def get_ibl() -> IBL:
    """The studio IBL, computed on first use and kept for the life of the process."""
    global _cache
    if _cache is None:
        _cache = _build()
    return _cache


def _build() -> IBL:
    ctx = get_context()
    radiance = environment_radiance()
    source = ctx.texture((ENV_WIDTH, ENV_HEIGHT), 3, radiance.tobytes(), dtype="f4")
    source.build_mipmaps()
    source.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    base = (ENV_WIDTH // 2, ENV_HEIGHT // 2)
    specular = ctx.texture(base, 4, dtype="f2")  # half floats: half the fetch bandwidth
    specular.build_mipmaps(0, SPECULAR_LEVELS - 1)  # allocates the levels we fill below
    specular.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    prefilter = get_program("fullscreen.vert", "ibl_prefilter.frag", {})
    vao = ctx.vertex_array(prefilter, [])
    source.use(0)
    set_uniform(prefilter, "u_source", 0)
    set_uniform(prefilter, "u_source_texels", float(ENV_WIDTH * ENV_HEIGHT))
    for level in range(SPECULAR_LEVELS):
        # moderngl cannot attach a mip level, so each level renders into its own
        # texture and is copied in: a one-off cost of a few milliseconds.
        size = (max(1, base[0] >> level), max(1, base[1] >> level))
        target = ctx.texture(size, 4, dtype="f4")
        fbo = ctx.framebuffer(color_attachments=[target])
        fbo.use()
        set_uniform(prefilter, "u_roughness", level / (SPECULAR_LEVELS - 1))
        vao.render(moderngl.TRIANGLES, vertices=3)
        specular.write(fbo.read(components=4, dtype="f2"), level=level)
        release(fbo, target)
    lut = ctx.texture((BRDF_LUT_SIZE, BRDF_LUT_SIZE), 4, dtype="f2")
    lut.repeat_x = lut.repeat_y = False
    lut_program = get_program("fullscreen.vert", "brdf_lut.frag", {})
    lut_vao = ctx.vertex_array(lut_program, [])
    fbo = ctx.framebuffer(color_attachments=[lut])
    fbo.use()
    lut_vao.render(moderngl.TRIANGLES, vertices=3)
    release(fbo, vao, lut_vao, source)
    return IBL(
        specular=specular,
        brdf_lut=lut,
        sh=irradiance_sh9(radiance),
        max_lod=float(SPECULAR_LEVELS - 1),
    )


def warm_up() -> None:
    """Create the GL context and the studio environment now, before the first job.

    Both are per-process and take seconds on llvmpipe; a worker that does this while it is
    idle keeps that cost off its first render.
    """
    get_ibl()

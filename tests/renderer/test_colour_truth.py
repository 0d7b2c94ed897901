"""Colour you can trust: renders whose right answer physics gives, checked in linear light.

On llvmpipe, tone mapping off (``"none"``: clamp, then sRGB) and the frame decoded back
to linear. Each test would fail on a wrong picture: the transposed irradiance table
that tinted every render yellow made grey (128, 114, 60)-ish, whitened a red channel
and zeroed green and blue in a furnace; a diffuse term that ignores the light the
specular layer already took makes a white sphere brighter than its world.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy.ndimage import maximum_filter, minimum_filter
from trimesh.visual.material import PBRMaterial

from renderer import Renderer, RenderSettings, Scene, load_scene
from renderer.environment import environment_from_array, uniform_environment
from renderer.studio import equirect_directions

SIZE = {"width": 192, "height": 108, "length": 1.0}
PHYSICAL = {"tone_mapping": "none", "key_light": False, "shadows": False, "transparent": True}


def srgb_to_linear(u8: np.ndarray) -> np.ndarray:
    c = u8.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 255.0 * np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def render(scene: Scene, **settings: object) -> np.ndarray:
    with Renderer(RenderSettings(**{**SIZE, **settings})) as r:  # type: ignore[arg-type]
        return r.render_frame(scene, 0)


def inside(frame: np.ndarray) -> np.ndarray:
    """Pixels fully covered by the model (alpha 255), edges excluded."""
    return frame[..., 3] == 255


@pytest.fixture(scope="module")
def sphere(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Scene]:
    """A smooth unit sphere (GLB with normals) of one metallic-roughness material."""
    folder = tmp_path_factory.mktemp("spheres")

    def make(base: tuple[float, float, float], metallic: float, roughness: float) -> Scene:
        mesh = trimesh.creation.icosphere(subdivisions=5)
        rgba = [round(c * 255) for c in base] + [255]
        mesh.visual = trimesh.visual.TextureVisuals(
            material=PBRMaterial(
                baseColorFactor=rgba, metallicFactor=metallic, roughnessFactor=roughness
            )
        )
        path = folder / f"sphere_{base}_{metallic}_{roughness}.glb"
        mesh.export(path, include_normals=True)
        return load_scene(path)

    return make


@pytest.mark.parametrize("tone_mapping", ["none", "neutral"])
def test_grey_is_grey_under_the_default_studio(
    sphere: Callable[..., Scene], tone_mapping: str
) -> None:
    """Grey dielectric, default look (studio, key light, shadows): no colour cast."""
    frame = render(sphere((0.5, 0.5, 0.5), 0.0, 0.5), tone_mapping=tone_mapping, transparent=True)
    rgb = frame[inside(frame)][:, :3].astype(np.int32)
    assert len(rgb) > 3000
    assert 40 < rgb.mean() < 245, "the sphere must be lit, not black or blown out"
    assert np.abs(rgb[:, 0] - rgb[:, 1]).mean() <= 1.0
    assert np.abs(rgb[:, 1] - rgb[:, 2]).mean() <= 1.0


@pytest.mark.parametrize("radiance", [(0.5, 0.5, 0.5), (0.6, 0.35, 0.15)])
def test_white_furnace_lambertian_sphere_reflects_its_world(
    sphere: Callable[..., Scene], radiance: tuple[float, float, float]
) -> None:
    """A white rough dielectric in a uniform world of radiance L is L, edge to edge:
    what the specular layer reflects the diffuse base does not (energy is conserved)."""
    frame = render(
        sphere((1.0, 1.0, 1.0), 0.0, 1.0), environment=uniform_environment(radiance), **PHYSICAL
    )
    linear = srgb_to_linear(frame[inside(frame)][:, :3])
    assert len(linear) > 3000
    relative = linear / np.asarray(radiance) - 1.0
    assert np.abs(relative).max() <= 0.02, np.abs(relative).max(axis=0)


def test_white_metals_never_gain_energy(sphere: Callable[..., Scene]) -> None:
    """White metal at every roughness in a uniform world: never brighter than the world
    (8-bit rounding aside), and multiple scattering keeps rough ones from going grey."""
    level = 0.5
    ceiling = math.ceil(float(linear_to_srgb(np.array(level))))
    env = uniform_environment(level)
    for roughness in (0.0, 0.25, 0.5, 0.75, 1.0):
        frame = render(sphere((1.0, 1.0, 1.0), 1.0, roughness), environment=env, **PHYSICAL)
        rgb = frame[inside(frame)][:, :3]
        assert rgb.max() <= ceiling, (roughness, rgb.max(), ceiling)
        assert srgb_to_linear(rgb).min() >= 0.98 * level, (roughness, rgb.min())


def specular_albedo(n_dot_v: np.ndarray, roughness: float, f0: float = 0.04) -> np.ndarray:
    """What the glTF dielectric's specular layer reflects of a uniform world, by numeric
    integration of its BRDF (GGX, height-correlated Smith, Schlick), independent of the
    renderer's table, plus the standard multiple-scattering term (Fdez-Agüera 2019)."""
    alpha2 = roughness**4
    xi = (np.arange(512) + 0.5) / 512
    phi = (np.arange(64) + 0.5) / 64 * 2 * np.pi
    cos_h = np.sqrt((1 - xi) / (1 + (alpha2 - 1) * xi))[:, None]
    sin_h = np.sqrt(1 - cos_h**2)
    h = np.stack(np.broadcast_arrays(sin_h * np.cos(phi), sin_h * np.sin(phi), cos_h), -1)
    grid = np.linspace(0.01, 1.0, 34)
    albedo = []
    for mu in grid:
        v = np.array([math.sqrt(1 - mu * mu), 0.0, mu])
        v_dot_h = np.clip(h @ v, 0.0, 1.0)
        n_dot_l = 2 * v_dot_h * h[..., 2] - mu
        ok = n_dot_l > 0
        nl = np.clip(n_dot_l, 1e-9, 1.0)
        vis = 0.5 / (
            nl * np.sqrt(mu * mu * (1 - alpha2) + alpha2)
            + mu * np.sqrt(nl * nl * (1 - alpha2) + alpha2)
        )
        weight = np.where(ok, vis * 4 * nl * v_dot_h / h[..., 2], 0.0)
        fresnel = (1 - v_dot_h) ** 5
        a, b = np.mean(weight * (1 - fresnel)), np.mean(weight * fresnel)
        single = f0 * a + b
        missed = 1 - (a + b)
        f_avg = f0 + (1 - f0) / 21
        albedo.append(single + missed * single * f_avg / (1 - f_avg * missed))
    return np.interp(n_dot_v, grid, albedo)


def test_known_colour_box_textured_reproduces_its_texture(
    scene: Callable[[str], Scene], rest_mesh: Callable[[Scene], trimesh.Trimesh]
) -> None:
    """BoxTextured in a uniform white world: each pixel is its texel's colour ``c``
    plus what the rough specular layer reflects, ``c + E(n·v)(1 − c)`` (E ≈ 1.3 % here,
    computed by integration above), within 2 levels of 255, on every visible face."""
    box = scene("BoxTextured.glb")
    options = {**SIZE, **PHYSICAL, "width": 320, "height": 180, "rotate_y": 30}
    settings = RenderSettings(
        **options,  # type: ignore[arg-type]
        environment=uniform_environment(1.0),
    )
    with Renderer(settings) as r:
        frame = r.render_frame(box, 0)
        camera = r.camera_path(box).camera(0)
    mesh = rest_mesh(box)
    c2w = camera.camera_to_world()
    tan_y = math.tan(math.radians(camera.fov_y) / 2)
    h, w = frame.shape[:2]
    xs = ((np.arange(w) + 0.5) / w * 2 - 1) * tan_y * w / h
    ys = (1 - (np.arange(h) + 0.5) / h * 2) * tan_y
    gx, gy = np.meshgrid(xs, ys)
    dirs = np.stack([gx, gy, -np.ones_like(gx)], -1).reshape(-1, 3) @ c2w[:3, :3].T
    origins = np.broadcast_to(c2w[:3, 3], dirs.shape)
    hits, rays, tris = mesh.ray.intersects_location(origins, dirs, multiple_hits=False)
    prim = box.meshes[0].primitives[0]
    assert prim.uv0 is not None
    corners = mesh.triangles[tris]
    bary = trimesh.triangles.points_to_barycentric(corners, hits)
    uv = np.einsum("nk,nkj->nj", bary, prim.uv0[mesh.faces[tris]])
    texture = box.images[0].pixels[..., :3]
    th, tw = texture.shape[:2]
    tx = np.clip(np.floor(uv[:, 0] % 1.0 * tw).astype(int), 0, tw - 1)
    ty = np.clip(np.floor(uv[:, 1] % 1.0 * th).astype(int), 0, th - 1)
    pixel_y, pixel_x = np.divmod(rays, w)
    # Only texels inside a flat patch at least as large as the pixel's texture footprint
    # (from the ray-cast UVs of its neighbours; 2x SSAA and mip filtering reach about
    # twice that): any filtering of them gives the same colour. The sampler repeats.
    uv_image = np.full((h, w, 2), np.nan)
    uv_image[pixel_y, pixel_x] = uv * (tw, th)
    step = np.fmax(
        np.abs(np.diff(uv_image, axis=1, append=np.nan)).max(-1),
        np.abs(np.diff(uv_image, axis=0, append=np.nan)).max(-1),
    )[pixel_y, pixel_x]
    spread = np.full(len(tx), 255)
    for radius in (4, 8, 16, 32):
        size = 2 * radius + 1
        top = maximum_filter(texture, size=(size, size, 1), mode="wrap").astype(np.int32)
        low = minimum_filter(texture, size=(size, size, 1), mode="wrap").astype(np.int32)
        here = (top - low).max(-1)[ty, tx]
        fits = np.isfinite(step) & (2 * step + 2 <= radius) & (spread == 255)
        spread[fits] = here[fits]
    normal = mesh.face_normals[tris]
    n_dot_v = np.einsum(
        "nj,nj->n", normal, -dirs[rays] / np.linalg.norm(dirs[rays], axis=1)[:, None]
    )
    covered = frame[pixel_y, pixel_x, 3] == 255
    use = (spread <= 2) & covered & (n_dot_v > 0.3)  # the top is seen too obliquely
    assert use.sum() > 2000
    c = srgb_to_linear(texture[ty[use], tx[use]])
    e = specular_albedo(n_dot_v[use], roughness=1.0)[:, None]
    expected = linear_to_srgb(c + e * (1 - c))
    got = frame[pixel_y[use], pixel_x[use], :3].astype(np.float64)
    error = np.abs(got - expected)
    faces = {tuple(np.round(n, 3)) for n in normal[use]}
    assert len(faces) == 2, "both sides the camera sees"
    colours = np.unique((texture[ty[use], tx[use]] // 64), axis=0)
    assert len(colours) >= 3, "white, blue and green areas of the logo"
    assert error.max() <= 2.0, (error.max(), np.percentile(error, 99))


def test_a_sky_above_lights_a_sphere_by_the_cosine_law(sphere: Callable[..., Scene]) -> None:
    """Radiance 1 from the upper half of the world, 0 below: a white Lambertian surface
    with normal n reflects (1 + n_y)/2. Every pixel is checked against a ray-sphere
    intersection through its centre (the rim, seen edge-on, excluded)."""
    d = equirect_directions(256, 128)
    sky = np.repeat((d[..., 1:2] > 0).astype(np.float32), 3, axis=2)
    ball = sphere((1.0, 1.0, 1.0), 0.0, 1.0)
    settings = RenderSettings(
        **{**SIZE, **PHYSICAL},  # type: ignore[arg-type]
        environment=environment_from_array(sky),
    )
    with Renderer(settings) as r:
        frame = r.render_frame(ball, 0)
        camera = r.camera_path(ball).camera(0)
    h, w = frame.shape[:2]
    c2w = camera.camera_to_world()
    tan_y = math.tan(math.radians(camera.fov_y) / 2)
    xs = ((np.arange(w) + 0.5) / w * 2 - 1) * tan_y * w / h
    ys = (1 - (np.arange(h) + 0.5) / h * 2) * tan_y
    gx, gy = np.meshgrid(xs, ys)
    rays = np.stack([gx, gy, -np.ones_like(gx)], -1) @ c2w[:3, :3].T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    origin = c2w[:3, 3] - np.asarray(camera.target)  # the sphere's centre is the target
    b = rays @ origin
    hit = b * b - (origin @ origin - 1.0)
    normal = origin + (-b - np.sqrt(np.clip(hit, 0.0, None)))[..., None] * rays
    facing = -np.einsum("hwj,hwj->hw", normal, rays)
    use = inside(frame) & (hit > 0) & (facing > 0.3)
    assert use.sum() > 3000
    got = srgb_to_linear(frame[use][:, :3])
    expected = (1.0 + normal[use][:, 1:2]) / 2.0
    assert np.abs(got - expected).max() <= 0.02, np.abs(got - expected).max()
    assert expected.min() < 0.2 and expected.max() > 0.9  # top and bottom both checked


def quadrant_world() -> np.ndarray:
    """+X red, −X green, −Z blue, +Z white, grey above and below."""
    d = equirect_directions(256, 128)
    out = np.full(d.shape, 0.2, np.float32)
    for axis, sign, colour in ((0, 1, (1, 0, 0)), (0, -1, (0, 1, 0)), (2, -1, (0, 0, 1))):
        out[sign * d[..., axis] > 0.8] = colour
    out[d[..., 2] > 0.8] = (1, 1, 1)
    return out


@pytest.mark.parametrize(
    ("rotation", "colour"),
    [(0.0, (0, 0, 255)), (90.0, (255, 0, 0)), (-90.0, (0, 255, 0)), (180.0, (255, 255, 255))],
)
def test_background_shows_the_map_the_sample_viewer_way(
    scene: Callable[[str], Scene], rotation: float, colour: tuple[int, int, int]
) -> None:
    """The camera at azimuth 0 looks along −Z: the map's −Z column (a quarter of its
    width in, as the glTF Sample Viewer, three.js and Blender read it) fills the frame's
    middle; turning the world 90° counter-clockwise brings +X there."""
    frame = render(
        scene("BoxTextured.glb"),
        environment=environment_from_array(quadrant_world()),
        environment_rotation=rotation,
        background_environment=True,
        tone_mapping="none",
        shadows=False,
        width=192,
        height=108,
    )
    assert tuple(frame[2, 96, :3]) == colour  # above the box, beside the view axis
    assert frame[..., 3].min() == 255


def test_environment_background_is_tone_mapped_and_scaled_like_the_light(
    scene: Callable[[str], Scene],
) -> None:
    """A uniform world of radiance 0.25 × intensity 2 is a background of linear 0.5."""
    frame = render(
        scene("BoxTextured.glb"),
        environment=uniform_environment(0.25),
        environment_intensity=2.0,
        background_environment=True,
        tone_mapping="none",
        shadows=False,
    )
    assert np.all(frame[0, :, :3] == round(float(linear_to_srgb(np.array(0.5)))))


def test_the_world_lights_the_side_it_is_on(sphere: Callable[..., Scene]) -> None:
    """Red light from +X (the right of a camera at azimuth 0), green from −X: diffuse
    and specular agree on where the world is, and rotation turns both."""
    world = quadrant_world()
    ball = sphere((1.0, 1.0, 1.0), 0.0, 0.6)
    for rotation, right_channel in ((0.0, 0), (180.0, 1)):
        frame = render(
            ball,
            environment=environment_from_array(world),
            environment_rotation=rotation,
            **PHYSICAL,
        )
        ys, xs = np.nonzero(inside(frame))
        right = frame[int(ys.mean()), xs.max() - 4, :3].astype(int)
        left = frame[int(ys.mean()), xs.min() + 4, :3].astype(int)
        assert right[right_channel] > right[1 - right_channel] + 40, (rotation, right)
        assert left[1 - right_channel] > left[right_channel] + 40, (rotation, left)


def test_aces_and_neutral_follow_their_published_curves(
    make_gltf: Callable[..., Path],
) -> None:
    """An emissive quad of known radiance (KHR_materials_emissive_strength) under each
    tone mapping equals the operator's reference formula (three.js ACES with its 1/0.6
    exposure; Khronos PBR Neutral), within a level."""
    strength = 1.8
    path = make_gltf(
        extra={
            "extensionsUsed": ["KHR_materials_emissive_strength"],
            "materials": [
                {
                    "pbrMetallicRoughness": {"baseColorFactor": [0, 0, 0, 1], "metallicFactor": 0},
                    "emissiveFactor": [1.0, 0.5, 0.1],
                    "extensions": {
                        "KHR_materials_emissive_strength": {"emissiveStrength": strength}
                    },
                }
            ],
            "meshes": [
                {
                    "primitives": [
                        {
                            "attributes": {"POSITION": 1, "TEXCOORD_0": 2},
                            "indices": 0,
                            "material": 0,
                        }
                    ]
                }
            ],
        }
    )
    quad = load_scene(path)
    radiance = np.array([1.0, 0.5, 0.1]) * strength
    dark = uniform_environment(0.0)
    for mode, curve in (("aces", aces_three_js), ("neutral", pbr_neutral), ("none", np.copy)):
        frame = render(quad, environment=dark, **{**PHYSICAL, "tone_mapping": mode})
        centre = frame[54, 96, :3].astype(np.float64)
        expected = linear_to_srgb(np.clip(curve(radiance), 0, 1))
        assert np.abs(centre - expected).max() <= 1.0, (mode, centre, expected)


def aces_three_js(color: np.ndarray) -> np.ndarray:
    """three.js ACESFilmicToneMapping (toneMappingExposure 1)."""
    m_in = np.array(
        [[0.59719, 0.35458, 0.04823], [0.07600, 0.90834, 0.01566], [0.02840, 0.13383, 0.83777]]
    )
    m_out = np.array(
        [
            [1.60475, -0.53108, -0.07367],
            [-0.10208, 1.10813, -0.00605],
            [-0.00327, -0.07276, 1.07602],
        ]
    )
    v = m_in @ (color / 0.6)
    a = v * (v + 0.0245786) - 0.000090537
    b = v * (0.983729 * v + 0.4329510) + 0.238081
    return np.clip(m_out @ (a / b), 0, 1)


def pbr_neutral(color: np.ndarray) -> np.ndarray:
    """Khronos PBR Neutral, from the specification's sample code."""
    start, desaturation = 0.76, 0.15
    x = color.min()
    offset = x - 6.25 * x * x if x < 0.08 else 0.04
    color = color - offset
    peak = color.max()
    if peak < start:
        return color
    d = 1 - start
    new_peak = 1 - d * d / (peak + d - start)
    color = color * new_peak / peak
    g = 1 - 1 / (desaturation * (peak - new_peak) + 1)
    return color * (1 - g) + new_peak * g

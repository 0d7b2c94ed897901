"""Environment maps: reading .hdr/.exr, the built-in studio as a file, the per-map GPU
tables (cache, prefilter accuracy beside a sun) and the key light's default."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from renderer import Renderer, RenderSettings, load_scene
from renderer.environment import (
    InvalidEnvironment,
    builtin_environment,
    encode_hdr,
    environment_from_array,
    export_environment_hdr,
    halve,
    load_environment,
)
from renderer.gl_context import get_context
from renderer.ibl import SPECULAR_LEVELS, SPECULAR_WIDTH, SUMMED_FROM_LEVEL, get_ibl
from renderer.studio import equirect_directions, studio_radiance

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "assets" / "environments"
SKY = ENVIRONMENTS / "qwantani_afternoon_puresky_1k.hdr"
GARDEN = ENVIRONMENTS / "chinese_garden_1k.hdr"


@pytest.mark.parametrize("path", [SKY, GARDEN])
def test_radiance_hdr_files_load(path: Path) -> None:
    env = load_environment(path)
    assert (env.width, env.height) == (1024, 512)
    assert env.name == path.name
    assert env.radiance.dtype == np.float32 and not env.radiance.flags.writeable
    assert env.radiance.max() > 10_000  # the sun survives: no 8-bit or half-float clipping
    assert load_environment(path.read_bytes()).digest == env.digest


def test_openexr_files_load_half_and_full_float(tmp_path: Path) -> None:
    rgb = np.random.default_rng(3).uniform(0.0, 50.0, (16, 32, 3)).astype(np.float32)
    for name, dtype, channels in (
        ("full.exr", np.float32, {"RGB": rgb}),
        ("half.exr", np.float16, {c: rgb[..., i].astype(np.float16) for i, c in enumerate("RGB")}),
    ):
        with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION}, channels) as exr:
            exr.write(str(tmp_path / name))
        env = load_environment(tmp_path / name)
        assert np.allclose(env.radiance, rgb.astype(dtype), rtol=1e-3)


def test_the_studio_exports_as_a_radiance_file_that_reads_back(tmp_path: Path) -> None:
    path = export_environment_hdr("studio", tmp_path / "studio.hdr")
    assert path.read_bytes().startswith(b"#?RADIANCE")
    back = load_environment(path)
    studio = builtin_environment("studio")
    assert back.radiance.shape == studio.radiance.shape
    assert np.allclose(back.radiance, studio.radiance, rtol=0.01, atol=1e-3)  # RGBE precision
    assert np.array_equal(studio.radiance, studio_radiance())  # numpy only: no GL needed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a not an environment", "Radiance .hdr or an OpenEXR"),
        (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +X 8\n\x02\x02", "unreadable .hdr"),
        (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 200000 +X 400000\n", "larger than"),
        (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n+Y 4 +X 8\n", "top-down"),
        (b"\x76\x2f\x31\x01garbage", "unreadable OpenEXR"),
    ],
)
def test_broken_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidEnvironment, match=message):
        load_environment(data)


def test_arrays_are_checked_and_large_maps_box_filtered() -> None:
    with pytest.raises(InvalidEnvironment):
        environment_from_array(np.zeros((8, 8)))
    with pytest.raises(InvalidEnvironment):
        environment_from_array(np.full((4, 8, 3), np.nan))
    with pytest.raises(InvalidEnvironment):
        environment_from_array(np.full((4, 8, 3), -1.0))
    big = np.ones((2048, 4096, 3), np.float32)
    big[0, 0] = 4.0
    env = environment_from_array(big)
    assert env.width == 2048 and env.height == 1024
    assert env.radiance[0, 0, 0] == pytest.approx((4.0 + 3.0) / 4.0)  # energy kept


def test_tables_are_cached_by_content_not_by_object() -> None:
    get_context()
    rgb = np.random.default_rng(5).uniform(0.0, 2.0, (32, 64, 3))
    first = get_ibl(environment_from_array(rgb, "a"))
    assert get_ibl(environment_from_array(rgb.copy(), "b")) is first
    assert get_ibl(environment_from_array(rgb * 2.0)) is not first


def brute_force_prefilter(radiance: np.ndarray, n: np.ndarray, roughness: float) -> np.ndarray:
    """∫ L(l) (n·l) D(h) dl / ∫ (n·l) D(h) dl over every texel (the definition the
    renderer's prefilter estimates), on the map box-filtered to 512×256."""
    while radiance.shape[1] > 512:
        radiance = halve(radiance)
    height, width, _ = radiance.shape
    d = equirect_directions(width, height).reshape(-1, 3)
    theta = (np.arange(height) + 0.5) / height * np.pi
    solid_angle = np.repeat((2 * np.pi / width) * (np.pi / height) * np.sin(theta), width)
    alpha2 = roughness**4
    n_dot_l = d @ n
    h = d + n
    n_dot_h = (h @ n) / np.linalg.norm(h, axis=1)
    ggx = alpha2 / (np.pi * (n_dot_h**2 * (alpha2 - 1) + 1) ** 2)
    weight = np.where(n_dot_l > 0, n_dot_l * ggx * solid_angle, 0.0)
    return (weight @ radiance.reshape(-1, 3).astype(np.float64)) / weight.sum()


@pytest.mark.parametrize("path", [SKY, GARDEN])
def test_rough_reflections_beside_a_sun_match_the_exact_integral(path: Path) -> None:
    """The 20 texels of each rough level nearest the sun, and 20 elsewhere, against a
    brute-force GGX convolution: importance sampling alone missed it by 100-280 %.
    Broad lobes are summed (3 %), narrow ones sampled (10 % away from the sun)."""
    get_context()
    env = load_environment(path)
    specular = get_ibl(env).specular
    luminance = env.radiance @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    sun = equirect_directions(env.width, env.height).reshape(-1, 3)[np.argmax(luminance)]
    rng = np.random.default_rng(7)
    for level in range(1, SPECULAR_LEVELS):
        w, h = SPECULAR_WIDTH >> level, (SPECULAR_WIDTH // 2) >> level
        texels = np.frombuffer(specular.read(level=level), np.float16).reshape(h * w, 4)
        dirs = equirect_directions(w, h).reshape(-1, 3)
        near = np.argsort(-(dirs @ sun))[:20]
        elsewhere = rng.choice(h * w, 20, replace=False)
        far = 0.03 if level >= SUMMED_FROM_LEVEL else 0.10
        for group, tolerance in ((near, 0.05), (elsewhere, far)):
            for i in group:
                exact = brute_force_prefilter(env.radiance, dirs[i], level / (SPECULAR_LEVELS - 1))
                got = texels[i, :3].astype(np.float64)
                assert abs(got.sum() / exact.sum() - 1) <= tolerance, (level, dirs[i])


def test_the_key_light_defaults_off_for_a_file_with_its_own_lights(
    make_gltf: Callable[..., Path],
) -> None:
    """A file with KHR_lights_punctual (here one of zero intensity) is shown with its own
    lights only, unless the key light is asked for."""
    path = make_gltf(
        extra={
            "extensionsUsed": ["KHR_lights_punctual"],
            "extensions": {
                "KHR_lights_punctual": {"lights": [{"type": "directional", "intensity": 0.0}]}
            },
            "nodes": [{"mesh": 0}, {"extensions": {"KHR_lights_punctual": {"light": 0}}}],
            "scenes": [{"nodes": [0, 1]}],
        }
    )
    quad = load_scene(path)
    assert quad.lights

    def mean_level(**kw: object) -> float:
        settings = RenderSettings(width=96, height=54, length=1.0, shadows=False, **kw)  # type: ignore[arg-type]
        with Renderer(settings) as r:
            return float(r.render_frame(quad, 0)[20:34, 40:56, :3].mean())

    default, off, on = mean_level(), mean_level(key_light=False), mean_level(key_light=True)
    assert default == off
    assert on > off + 5


def test_exr_bytes_in_memory_load() -> None:
    buffer = io.BytesIO()
    rgb = np.full((8, 16, 3), 0.25, np.float32)
    with OpenEXR.File({}, {"RGB": rgb}) as exr:
        exr.write(buffer)
    env = load_environment(buffer.getvalue(), name="upload.exr")
    assert env.name == "upload.exr" and np.allclose(env.radiance, 0.25)
    assert encode_hdr(env).startswith(b"#?RADIANCE")

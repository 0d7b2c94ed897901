"""glTF extensions, checked by what they draw: pixels of small scenes on llvmpipe.

Test scenes are written here as glTF JSON (a UV sphere and a quad, materials varied per
test) or come from tests/assets. Colours are compared in the rendered frames; a feature
that loaded but drew nothing different would fail.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from renderer import (
    Camera,
    InvalidModel,
    InvalidSettings,
    Renderer,
    Scene,
    load_scene,
    render_layers,
)
from renderer.gl_context import get_program
from renderer.shader_source import compose
from workers.render_settings import render_settings
from workers.specs import RenderSpec

FRONT = Camera(position=(0.0, 0.0, 4.2), target=(0.0, 0.0, 0.0), aspect=1.0)
SIZE = 96


def layers(scene: Scene, camera: Camera = FRONT, size: int = SIZE) -> Any:
    return render_layers(scene, camera, size, size)


def centre_rgb(rgba: np.ndarray, radius: int = 6) -> np.ndarray:
    """Mean RGB of a square at the image centre (0..255)."""
    h, w = rgba.shape[:2]
    patch = rgba[h // 2 - radius : h // 2 + radius, w // 2 - radius : w // 2 + radius, :3]
    return patch.reshape(-1, 3).astype(np.float64).mean(axis=0)


def uv_sphere(rings: int = 24, segments: int = 48) -> tuple[np.ndarray, ...]:
    """Unit sphere: positions (= normals), UVs, uint16 triangle indices."""
    theta = np.linspace(0.0, np.pi, rings + 1)
    phi = np.linspace(0.0, 2.0 * np.pi, segments + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    pos = np.stack([np.sin(t) * np.sin(p), np.cos(t), np.sin(t) * np.cos(p)], axis=-1)
    uv = np.stack([p / (2 * np.pi), t / np.pi], axis=-1)
    idx = []
    for r in range(rings):
        for s in range(segments):
            a, b = r * (segments + 1) + s, (r + 1) * (segments + 1) + s
            idx += [a, b, a + 1, a + 1, b, b + 1]
    return (
        pos.reshape(-1, 3).astype(np.float32),
        uv.reshape(-1, 2).astype(np.float32),
        np.array(idx, dtype=np.uint16),
    )


def gltf_doc(
    materials: list[dict[str, Any]],
    *,
    offsets: list[tuple[float, float, float]] | None = None,
    extensions: list[str] | None = None,
    required: list[str] | None = None,
) -> dict[str, Any]:
    """A document with one sphere node per material (side by side at ``offsets``)."""
    pos, uv, idx = uv_sphere()
    blob = idx.tobytes() + pos.tobytes() + pos.tobytes() + uv.tobytes()
    n = len(pos)
    offsets = offsets or [(0.0, 0.0, 0.0)] * len(materials)
    views = [(0, idx.nbytes), (idx.nbytes, pos.nbytes), (idx.nbytes + pos.nbytes, pos.nbytes)]
    views.append((idx.nbytes + 2 * pos.nbytes, uv.nbytes))
    doc: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": list(range(len(materials)))}],
        "nodes": [{"mesh": i, "translation": list(o)} for i, o in enumerate(offsets)],
        "meshes": [
            {
                "primitives": [
                    {
                        "attributes": {"POSITION": 1, "NORMAL": 2, "TEXCOORD_0": 3},
                        "indices": 0,
                        "material": i,
                    }
                ]
            }
            for i in range(len(materials))
        ],
        "materials": materials,
        "buffers": [
            {
                "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
                "byteLength": len(blob),
            }
        ],
        "bufferViews": [{"buffer": 0, "byteOffset": o, "byteLength": s} for o, s in views],
        "accessors": [
            {"bufferView": 0, "componentType": 5123, "count": len(idx), "type": "SCALAR"},
            {
                "bufferView": 1,
                "componentType": 5126,
                "count": n,
                "type": "VEC3",
                "min": [-1, -1, -1],
                "max": [1, 1, 1],
            },
            {"bufferView": 2, "componentType": 5126, "count": n, "type": "VEC3"},
            {"bufferView": 3, "componentType": 5126, "count": n, "type": "VEC2"},
        ],
    }
    if extensions:
        doc["extensionsUsed"] = extensions
    if required:
        doc["extensionsRequired"] = required
    return doc


@pytest.fixture()
def write_doc(tmp_path: Path) -> Callable[[dict[str, Any]], Scene]:
    counter = iter(range(1000))

    def write(doc: dict[str, Any]) -> Scene:
        path = tmp_path / f"model{next(counter)}.gltf"
        path.write_text(json.dumps(doc))
        return load_scene(path)

    return write


# -- EXT_meshopt_compression --------------------------------------------------------------


def test_meshopt_box_draws_the_same_box_as_box_textured(scene: Callable[[str], Scene]) -> None:
    """gltfpack's meshopt + quantized box has BoxTextured's geometry: same silhouette and
    depth from an oblique camera, and its red material (no texture) shades red."""
    camera = Camera(position=(2.0, 1.6, 2.6), target=(0.0, 0.0, 0.0), aspect=1.0)
    packed = layers(scene("BoxMeshopt.glb"), camera)
    plain = layers(scene("BoxTextured.glb"), camera)
    covered = packed.mask > 127
    reference = plain.mask > 127
    iou = (covered & reference).sum() / (covered | reference).sum()
    assert iou > 0.99
    both = (packed.depth > 0) & (plain.depth > 0)
    assert np.abs(packed.depth[both] - plain.depth[both]).max() < 0.02
    r, g, b = centre_rgb(packed.rgba)
    assert r > 100 and g < 40 and b < 40


# -- material extensions --------------------------------------------------------------------

GOLD = [1.0, 0.766, 0.336]
MATERIAL_EXTENSIONS = [
    "KHR_materials_pbrSpecularGlossiness",
    "KHR_materials_clearcoat",
    "KHR_materials_sheen",
    "KHR_materials_specular",
    "KHR_materials_ior",
    "KHR_materials_transmission",
    "KHR_materials_volume",
    "KHR_materials_dispersion",
    "KHR_materials_iridescence",
    "KHR_materials_anisotropy",
    "KHR_materials_emissive_strength",
]
ABOVE = Camera(position=(0.0, 4.2, 0.0), target=(0.0, 0.0, 0.0), up=(0.0, 0.0, -1.0), aspect=1.0)
BELOW = Camera(position=(0.0, -4.2, 0.0), target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0), aspect=1.0)


def metal_rough(color: list[float], metallic: float, roughness: float, **ext: Any) -> dict:
    mat: dict[str, Any] = {
        "pbrMetallicRoughness": {
            "baseColorFactor": [*color, 1.0],
            "metallicFactor": metallic,
            "roughnessFactor": roughness,
        }
    }
    if ext:
        mat["extensions"] = ext
    return mat


def with_texture(doc: dict[str, Any], rgba: tuple[int, int, int, int]) -> dict[str, Any]:
    """``doc`` with one 2×2 PNG of colour ``rgba`` as texture 0."""
    buf = io.BytesIO()
    PILImage.new("RGBA", (2, 2), rgba).save(buf, format="PNG")
    doc["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}]
    doc["textures"] = [{"source": 0}]
    return doc


def sphere(write_doc: Callable[[dict[str, Any]], Scene], material: dict[str, Any]) -> Scene:
    return write_doc(gltf_doc([material], extensions=MATERIAL_EXTENSIONS))


def sphere_pixels(scene: Scene, camera: Camera = FRONT) -> np.ndarray:
    """RGB (0..255 floats) of the pixels the sphere fully covers."""
    out = layers(scene, camera)
    return out.rgba[out.mask == 255][:, :3].astype(np.float64)


def test_spec_gloss_gold_looks_like_metal_rough_gold(write_doc: Callable[..., Scene]) -> None:
    """The spec-gloss model shaded as the extension defines it: a gold specular colour
    with black diffuse is the metal-rough gold sphere, pixel for pixel — with factors
    alone and with the specular-glossiness texture (where the old approximation, which
    read a textured spec-gloss metal as a dielectric, drew it nearly black)."""
    reference = sphere_pixels(sphere(write_doc, metal_rough(GOLD, 1.0, 0.3)))
    factors = {
        "diffuseFactor": [0, 0, 0, 1],
        "specularFactor": GOLD,
        "glossinessFactor": 0.7,
    }
    sg = sphere(write_doc, {"extensions": {"KHR_materials_pbrSpecularGlossiness": factors}})
    assert np.abs(sphere_pixels(sg) - reference).max() <= 1.0
    textured = gltf_doc(
        [
            {
                "extensions": {
                    "KHR_materials_pbrSpecularGlossiness": {
                        "diffuseFactor": [0, 0, 0, 1],
                        "specularGlossinessTexture": {"index": 0},
                    }
                }
            }
        ],
        extensions=MATERIAL_EXTENSIONS,
    )
    # sRGB-encoded gold in RGB, glossiness 0.7 (linear) in alpha
    textured = with_texture(textured, (255, 226, 157, round(0.7 * 255)))
    pixels = sphere_pixels(write_doc(textured))
    assert pixels.mean(axis=0)[0] > 120
    assert np.abs(pixels.mean(axis=0) - reference.mean(axis=0)).max() < 2.0


def test_clearcoat_adds_a_sharp_reflection_over_a_rough_base(
    write_doc: Callable[..., Scene],
) -> None:
    red = [0.8, 0.05, 0.05]
    base = sphere_pixels(sphere(write_doc, metal_rough(red, 0.0, 1.0)))
    coat = {"clearcoatFactor": 1.0, "clearcoatRoughnessFactor": 0.05}
    coated = sphere_pixels(
        sphere(write_doc, metal_rough(red, 0.0, 1.0, KHR_materials_clearcoat=coat))
    )
    # the soft boxes appear as near-white highlights on the red ball
    assert base[:, 1].max() < 150
    assert coated[:, 1].max() > 200
    assert (coated[:, 1] > 150).sum() > 20


def test_sheen_lights_the_rim_of_a_dark_cloth(write_doc: Callable[..., Scene]) -> None:
    dark = [0.05, 0.05, 0.05]
    sheen = {"sheenColorFactor": [1.0, 0.3, 0.6], "sheenRoughnessFactor": 0.5}
    plain = layers(sphere(write_doc, metal_rough(dark, 0.0, 0.8)))
    cloth = layers(sphere(write_doc, metal_rough(dark, 0.0, 0.8, KHR_materials_sheen=sheen)))
    h, w = cloth.mask.shape
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot(yy - h / 2 + 0.5, xx - w / 2 + 0.5) / (cloth.mask > 127).sum(axis=1).max() * 2
    rim = (cloth.mask == 255) & (r > 0.85)
    centre = r < 0.3
    rim_rgb = cloth.rgba[rim][:, :3].mean(axis=0)
    assert rim_rgb[0] > rim_rgb[1] + 20  # the sheen's own pink
    assert rim_rgb[0] > cloth.rgba[centre][:, 0].mean() + 30  # brighter at grazing angles
    assert rim_rgb[0] > plain.rgba[rim][:, 0].mean() + 30


@pytest.mark.parametrize(
    ("extension", "change"),
    [
        ({"KHR_materials_specular": {"specularFactor": 0.0}}, -40),
        ({"KHR_materials_ior": {"ior": 1.0}}, -15),
        ({"KHR_materials_ior": {"ior": 2.5}}, 10),
    ],
)
def test_specular_strength_and_ior_set_the_reflection(
    write_doc: Callable[..., Scene], extension: dict[str, Any], change: float
) -> None:
    """No reflection at specular 0; at IOR 1 (F0 = 0) only Schlick's grazing one; a
    stronger one at IOR 2.5 (F0 = 0.18)."""
    grey = [0.2, 0.2, 0.2]
    reference = sphere_pixels(sphere(write_doc, metal_rough(grey, 0.0, 0.2)))
    changed = sphere_pixels(sphere(write_doc, metal_rough(grey, 0.0, 0.2, **extension)))
    top_ref, top = np.percentile(reference[:, 0], 99), np.percentile(changed[:, 0], 99)
    assert top < top_ref + change if change < 0 else top > top_ref + change


def test_specular_colour_tints_the_dielectric_reflection(
    write_doc: Callable[..., Scene],
) -> None:
    tint = {"specularColorFactor": [1.0, 0.1, 0.1]}
    pixels = sphere_pixels(
        sphere(write_doc, metal_rough([0.0, 0.0, 0.0], 0.0, 0.2, KHR_materials_specular=tint))
    )
    mean = pixels.mean(axis=0)
    assert mean[0] > 2 * mean[1] + 10


def test_thin_transmission_shows_the_environment_behind(write_doc: Callable[..., Scene]) -> None:
    """A clear thin shell seen from above shows what lies beneath it. Without its own
    reflection (specular 0) its centre is exactly the dark studio floor that a mirror ball
    seen from below reflects back (the same direction of the environment), not the bright
    overhead box a mirror seen from above shows; with it, that box's reflection adds."""
    through = {"transmissionFactor": 1.0}
    glass = metal_rough([1.0, 1.0, 1.0], 0.0, 0.0, KHR_materials_transmission=through)
    bare = metal_rough(
        [1.0, 1.0, 1.0],
        0.0,
        0.0,
        KHR_materials_transmission=through,
        KHR_materials_specular={"specularFactor": 0.0},
    )
    mirror = sphere(write_doc, metal_rough([1.0, 1.0, 1.0], 1.0, 0.0))
    seen = centre_rgb(layers(sphere(write_doc, bare), ABOVE).rgba, 2)
    behind = centre_rgb(layers(mirror, BELOW).rgba, 2)
    in_front = centre_rgb(layers(mirror, ABOVE).rgba, 2)
    assert np.abs(seen - behind).max() <= 2.0
    assert np.abs(seen - in_front).max() > 60
    reflecting = centre_rgb(layers(sphere(write_doc, glass), ABOVE).rgba, 2)
    assert np.all(reflecting > seen + 10)


def test_volume_attenuation_follows_beer_lambert(write_doc: Callable[..., Scene]) -> None:
    """Light through a tinted volume loses colour as attenuationColor^(d / distance):
    the longer the attenuation distance, the less tint; without a volume, none."""

    def centre(distance: float | None) -> np.ndarray:
        ext: dict[str, Any] = {"KHR_materials_transmission": {"transmissionFactor": 1.0}}
        if distance is not None:
            ext["KHR_materials_volume"] = {
                "thicknessFactor": 2.0,
                "attenuationColor": [1.0, 0.3, 0.2],
                "attenuationDistance": distance,
            }
        return centre_rgb(layers(sphere(write_doc, metal_rough([1, 1, 1], 0.0, 0.0, **ext))).rgba)

    clear, light, strong = centre(None), centre(8.0), centre(1.0)
    assert abs(clear[0] - clear[1]) < 3
    assert strong[1] < light[1] - 20 < clear[1] - 25
    assert strong[0] > strong[1] + 60


def test_dispersion_splits_colours_through_a_volume(write_doc: Callable[..., Scene]) -> None:
    """Through a dispersive glass ball the environment's edges get colour fringes: red and
    blue no longer see the same place, so channels part where the clear ball keeps grey."""

    def ball(dispersion: float | None) -> np.ndarray:
        ext: dict[str, Any] = {
            "KHR_materials_transmission": {"transmissionFactor": 1.0},
            "KHR_materials_volume": {"thicknessFactor": 2.0},
            "KHR_materials_ior": {"ior": 1.8},
        }
        if dispersion is not None:
            ext["KHR_materials_dispersion"] = {"dispersion": dispersion}
        return sphere_pixels(sphere(write_doc, metal_rough([1, 1, 1], 0.0, 0.0, **ext)))

    def fringe(pixels: np.ndarray) -> float:
        return float(np.percentile(np.abs(pixels[:, 0] - pixels[:, 2]), 99))

    assert fringe(ball(None)) < 3
    assert fringe(ball(10.0)) > 15


def test_iridescence_colours_reflections_by_film_thickness(
    write_doc: Callable[..., Scene],
) -> None:
    """A thin film over black glass tints its reflections (a grey studio turns coloured),
    and the tint depends on the film's thickness (interference)."""

    def ball(thickness: float | None) -> np.ndarray:
        ext: dict[str, Any] = {}
        if thickness is not None:
            ext["KHR_materials_iridescence"] = {
                "iridescenceFactor": 1.0,
                "iridescenceThicknessMaximum": thickness,
            }
        return sphere_pixels(sphere(write_doc, metal_rough([0.02] * 3, 0.0, 0.2, **ext)))

    plain, thick, thin = ball(None), ball(400.0), ball(250.0)
    assert np.percentile(np.abs(plain[:, 0] - plain[:, 2]), 90) < 2
    assert np.percentile(np.abs(thick[:, 0] - thick[:, 2]), 90) > 20
    assert thick.mean(axis=0)[2] > thick.mean(axis=0)[0] + 5  # 400 nm: bluish
    assert thin.mean(axis=0)[0] > thin.mean(axis=0)[2] + 5  # 250 nm: golden


def test_emissive_strength_brightens_the_emission(write_doc: Callable[..., Scene]) -> None:
    def emissive(strength: float) -> np.ndarray:
        mat = metal_rough([0.0, 0.0, 0.0], 0.0, 1.0)
        mat["emissiveFactor"] = [0.1, 0.05, 0.0]
        mat["extensions"] = {"KHR_materials_emissive_strength": {"emissiveStrength": strength}}
        return centre_rgb(layers(sphere(write_doc, mat)).rgba)

    assert emissive(6.0)[0] > emissive(1.0)[0] + 60


# -- every extension's shader code compiles, on Mesa and for Khronos' glslang -----------------

ALL_EXTENSIONS = {
    "HAS_UV0": True,
    "HAS_UV1": True,
    "HAS_NORMAL_MAP": True,
    "NORMAL_UV": 0,
    "SPECULAR_GLOSSINESS": True,
    "HAS_SPECULAR_GLOSSINESS_MAP": True,
    "SPECULAR_GLOSSINESS_UV": 1,
    "MATERIAL_IOR": True,
    "MATERIAL_SPECULAR": True,
    "HAS_SPECULAR_MAP": True,
    "SPECULAR_UV": 0,
    "HAS_SPECULAR_COLOR_MAP": True,
    "SPECULAR_COLOR_UV": 0,
    "MATERIAL_CLEARCOAT": True,
    "HAS_CLEARCOAT_MAP": True,
    "CLEARCOAT_UV": 0,
    "HAS_CLEARCOAT_ROUGHNESS_MAP": True,
    "CLEARCOAT_ROUGHNESS_UV": 0,
    "HAS_CLEARCOAT_NORMAL_MAP": True,
    "CLEARCOAT_NORMAL_UV": 1,
    "MATERIAL_SHEEN": True,
    "HAS_SHEEN_COLOR_MAP": True,
    "SHEEN_COLOR_UV": 0,
    "HAS_SHEEN_ROUGHNESS_MAP": True,
    "SHEEN_ROUGHNESS_UV": 0,
    "MATERIAL_TRANSMISSION": True,
    "HAS_TRANSMISSION_MAP": True,
    "TRANSMISSION_UV": 0,
    "MATERIAL_VOLUME": True,
    "MATERIAL_DISPERSION": True,
    "HAS_THICKNESS_MAP": True,
    "THICKNESS_UV": 0,
    "MATERIAL_IRIDESCENCE": True,
    "HAS_IRIDESCENCE_MAP": True,
    "IRIDESCENCE_UV": 0,
    "HAS_IRIDESCENCE_THICKNESS_MAP": True,
    "IRIDESCENCE_THICKNESS_UV": 1,
    "MATERIAL_ANISOTROPY": True,
    "HAS_ANISOTROPY_MAP": True,
    "ANISOTROPY_UV": 1,
    "LIGHT_COUNT": 3,
}
EXTENSION_VARIANTS = [
    ("primitive.vert", "pbr.frag", ALL_EXTENSIONS),
    ("primitive.vert", "pbr.frag", {**ALL_EXTENSIONS, "HAS_TANGENT": True, "REFLECTION": True}),
    ("primitive.vert", "pbr.frag", {**ALL_EXTENSIONS, "LAYERS": True}),
    ("primitive.vert", "depth_only.frag", {**ALL_EXTENSIONS, "ALPHA_MASK": True}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_CLEARCOAT": True, "LIGHT_COUNT": 1}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_TRANSMISSION": True}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_ANISOTROPY": True, "HAS_UV0": True}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_IRIDESCENCE": True}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_SHEEN": True, "HAS_COLOR0": True}),
]


@pytest.mark.parametrize(("vertex", "fragment", "defines"), EXTENSION_VARIANTS)
def test_extension_shaders_compile(vertex: str, fragment: str, defines: dict[str, Any]) -> None:
    assert get_program(vertex, fragment, defines) is not None


@pytest.mark.skipif(shutil.which("glslangValidator") is None, reason="glslang-tools not installed")
@pytest.mark.parametrize(("vertex", "fragment", "defines"), EXTENSION_VARIANTS)
def test_extension_shaders_pass_glslang(
    vertex: str, fragment: str, defines: dict[str, Any], tmp_path: Path
) -> None:
    for name in (vertex, fragment):
        path = tmp_path / name
        path.write_text(compose(name, defines))
        result = subprocess.run(["glslangValidator", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


# -- KHR_lights_punctual ------------------------------------------------------------------------


def lit_sphere(
    write_doc: Callable[[dict[str, Any]], Scene], lights: list[dict[str, Any]], at: list[float]
) -> Scene:
    """A grey matte sphere with one light of ``lights`` on a node at ``at`` that points
    at the sphere (down its −Z, turned so −Z faces the origin from ``at``)."""
    doc = gltf_doc([metal_rough([0.5, 0.5, 0.5], 0.0, 1.0)], extensions=["KHR_lights_punctual"])
    doc["extensions"] = {"KHR_lights_punctual": {"lights": lights}}
    forward = -np.asarray(at, dtype=np.float64) / np.linalg.norm(at)
    # rotation taking −Z to ``forward``: about the axis −Z × forward
    axis = np.cross([0.0, 0.0, -1.0], forward)
    angle = np.arccos(np.clip(np.dot([0.0, 0.0, -1.0], forward), -1.0, 1.0))
    if np.linalg.norm(axis) < 1e-9:
        axis = np.array([0.0, 1.0, 0.0])
    axis /= np.linalg.norm(axis)
    quat = [*(axis * np.sin(angle / 2)), np.cos(angle / 2)]
    doc["nodes"].append(
        {"translation": at, "rotation": quat, "extensions": {"KHR_lights_punctual": {"light": 0}}}
    )
    doc["scenes"][0]["nodes"].append(1)
    return write_doc(doc)


def right_left(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Mean RGB of the sphere's right (+X) and left (−X) thirds seen from the front."""
    out = layers(scene)
    w = out.mask.shape[1]
    cover = out.mask == 255
    right = cover & (np.arange(w)[None, :] > 2 * w // 3)
    left = cover & (np.arange(w)[None, :] < w // 3)
    return out.rgba[right][:, :3].mean(axis=0), out.rgba[left][:, :3].mean(axis=0)


def test_directional_light_colours_the_side_it_shines_on(write_doc: Callable[..., Scene]) -> None:
    red = [{"type": "directional", "color": [1.0, 0.0, 0.0], "intensity": 3.0}]
    right, left = right_left(lit_sphere(write_doc, red, [5.0, 0.0, 0.0]))
    assert right[0] > right[1] + 30  # red light from +X
    assert abs(left[0] - left[1]) < 3  # the far side is untouched


SIDE = Camera(position=(4.2, 0.0, 0.0), target=(0.0, 0.0, 0.0), aspect=1.0)


def test_point_light_falls_off_with_the_square_of_distance(
    write_doc: Callable[..., Scene],
) -> None:
    """Seen from the light's side, the surface point nearest a point light twice as far
    with four times the candela is lit the same; with the same candela, far dimmer."""

    def nearest(distance: float, intensity: float) -> np.ndarray:
        light = [{"type": "point", "color": [0.0, 1.0, 0.0], "intensity": intensity}]
        scene = lit_sphere(write_doc, light, [1.0 + distance, 0.0, 0.0])
        return centre_rgb(layers(scene, SIDE).rgba, 2)

    near, far, dim = nearest(1.0, 1.0), nearest(2.0, 4.0), nearest(2.0, 1.0)
    assert near[1] > near[0] + 30
    assert np.abs(near - far).max() <= 2
    assert dim[1] < near[1] - 20


def test_spot_light_lights_only_inside_its_cone(write_doc: Callable[..., Scene]) -> None:
    wide = centre_rgb(layers(lit_sphere(write_doc, [spot(0.6)], [3.0, 0, 0]), SIDE).rgba, 2)
    narrow = layers(lit_sphere(write_doc, [spot(0.08)], [3.0, 0, 0]), SIDE)
    assert wide[2] > wide[0] + 30
    # the narrow cone (±0.08 rad) lights a small disc: its centre, not the rim around it
    disc = centre_rgb(narrow.rgba, 2)
    assert disc[2] > disc[0] + 30
    h, w = narrow.mask.shape
    ring = narrow.rgba[h // 2, w // 2 + 20, :3].astype(float)
    assert abs(ring[2] - ring[0]) < 4


def spot(outer: float) -> dict[str, Any]:
    return {
        "type": "spot",
        "color": [0.0, 0.0, 1.0],
        "intensity": 10.0,
        "spot": {"innerConeAngle": 0.0, "outerConeAngle": outer},
    }


# -- KHR_materials_variants -------------------------------------------------------------------


def test_material_variant_picks_the_variant_materials(write_doc: Callable[..., Scene]) -> None:
    white, red, blue = ([1.0, 1.0, 1.0], [0.9, 0.05, 0.05], [0.05, 0.05, 0.9])
    doc = gltf_doc([metal_rough(white, 0.0, 0.6)], extensions=["KHR_materials_variants"])
    doc["materials"] += [metal_rough(red, 0.0, 0.6), metal_rough(blue, 0.0, 0.6)]
    doc["extensions"] = {
        "KHR_materials_variants": {"variants": [{"name": "Ruby"}, {"name": "Sapphire"}]}
    }
    doc["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_materials_variants": {
            "mappings": [{"material": 1, "variants": [0]}, {"material": 2, "variants": [1]}]
        }
    }
    model = write_doc(doc)
    default = centre_rgb(layers(model).rgba)
    ruby = centre_rgb(layers(model.with_variant("Ruby")).rgba)
    sapphire = centre_rgb(layers(model.with_variant("Sapphire")).rgba)
    assert abs(default[0] - default[2]) < 5
    assert ruby[0] > ruby[2] + 80 and sapphire[2] > sapphire[0] + 80
    assert model.with_variant("Ruby") is model.with_variant("Ruby")  # renderers reuse it
    with pytest.raises(InvalidSettings, match="'Ruby', 'Sapphire'"):
        model.with_variant("Emerald")


# -- EXT_mesh_gpu_instancing, KHR_node_visibility ---------------------------------------------

WIDE = Camera(position=(0.0, 0.0, 12.0), target=(0.0, 0.0, 0.0), aspect=1.0)


def blobs_along_x(mask: np.ndarray) -> int:
    """How many separate runs of covered columns the mask's middle row has."""
    row = mask[mask.shape[0] // 2] > 127
    return int(np.count_nonzero(row[1:] & ~row[:-1]) + row[0])


def test_gpu_instancing_draws_every_instance(write_doc: Callable[..., Scene]) -> None:
    doc = gltf_doc([metal_rough([0.8, 0.8, 0.8], 0.0, 0.5)], extensions=["EXT_mesh_gpu_instancing"])
    offsets = np.array([[-2.5, 0, 0], [0, 0, 0], [2.5, 0, 0]], np.float32)
    scales = np.full((3, 3), 0.8, np.float32)
    blob = offsets.tobytes() + scales.tobytes()
    doc["buffers"].append(
        {
            "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
            "byteLength": len(blob),
        }
    )
    doc["bufferViews"] += [
        {"buffer": 1, "byteOffset": 0, "byteLength": offsets.nbytes},
        {"buffer": 1, "byteOffset": offsets.nbytes, "byteLength": scales.nbytes},
    ]
    doc["accessors"] += [
        {"bufferView": 4, "componentType": 5126, "count": 3, "type": "VEC3"},
        {"bufferView": 5, "componentType": 5126, "count": 3, "type": "VEC3"},
    ]
    doc["nodes"][0]["extensions"] = {
        "EXT_mesh_gpu_instancing": {"attributes": {"TRANSLATION": 4, "SCALE": 5}}
    }
    out = layers(write_doc(doc), WIDE)
    assert blobs_along_x(out.mask) == 3
    covered = (out.mask > 127).sum(axis=1).max()
    assert covered == pytest.approx(3 * 0.8 / (2 * 12 * np.tan(np.radians(15))) * SIZE * 2, rel=0.1)


def test_hidden_nodes_are_not_drawn(write_doc: Callable[..., Scene]) -> None:
    grey = metal_rough([0.8, 0.8, 0.8], 0.0, 0.5)
    doc = gltf_doc([grey, grey], offsets=[(-1.5, 0, 0), (1.5, 0, 0)])
    assert blobs_along_x(layers(write_doc(doc), WIDE).mask) == 2
    doc["extensionsUsed"] = ["KHR_node_visibility"]
    doc["nodes"][1]["extensions"] = {"KHR_node_visibility": {"visible": False}}
    out = layers(write_doc(doc), WIDE)
    assert blobs_along_x(out.mask) == 1
    assert (out.mask[:, : SIZE // 2] > 127).any() and not (out.mask[:, SIZE // 2 + 4 :] > 127).any()


# -- KHR_texture_basisu -------------------------------------------------------------------------

QUAD_VIEW = Camera(position=(0.5, 0.5, 1.9), target=(0.5, 0.5, 0.0), aspect=1.0)


def quad_with_image(make_gltf: Callable[..., Path], image: Path, *, basisu: bool) -> Scene:
    """The conftest quad with ``image`` as base colour (a KTX2 through KHR_texture_basisu)."""
    data = base64.b64encode(image.read_bytes()).decode()
    mime = "image/ktx2" if basisu else "image/png"
    texture: dict[str, Any] = (
        {"extensions": {"KHR_texture_basisu": {"source": 0}}} if basisu else {"source": 0}
    )
    extra: dict[str, Any] = {
        "images": [{"uri": f"data:{mime};base64,{data}"}],
        "textures": [texture],
        "materials": [
            {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 0}}
        ],
    }
    if basisu:
        extra["extensionsUsed"] = extra["extensionsRequired"] = ["KHR_texture_basisu"]
    path = make_gltf(extra=extra)
    doc = json.loads(path.read_text())
    doc["meshes"][0]["primitives"][0]["material"] = 0
    path.write_text(json.dumps(doc))
    return load_scene(path)


@pytest.mark.parametrize("codec", ["uastc", "etc1s"])
def test_basisu_texture_draws_like_its_png_twin(
    make_gltf: Callable[..., Path], asset: Callable[[str], Path], codec: str
) -> None:
    """A KTX2 (Basis Universal, both codecs glTF allows) checker renders the colours of
    the PNG it was encoded from (the asset's yellow top band, red left, blue right)."""
    ktx2_quad = quad_with_image(make_gltf, asset(f"ktx2/checker-{codec}.ktx2"), basisu=True)
    ktx2 = layers(ktx2_quad, QUAD_VIEW)
    png = layers(quad_with_image(make_gltf, asset("ktx2/checker.png"), basisu=False), QUAD_VIEW)
    both = (ktx2.mask > 250) & (png.mask > 250)
    assert both.sum() > 0.8 * SIZE * SIZE
    diff = np.abs(ktx2.rgba[both][:, :3].astype(int) - png.rgba[both][:, :3].astype(int))
    assert np.percentile(diff, 95) <= 4
    h, w = ktx2.mask.shape
    left, right = ktx2.rgba[h * 2 // 3, w // 3, :3], ktx2.rgba[h * 2 // 3, w * 2 // 3, :3]
    assert left[0] > left[2] + 80 and right[2] > right[0] + 80


def test_khronos_clearcoat_sample_coats_only_its_coated_column(
    scene: Callable[[str], Scene],
) -> None:
    """Khronos' ClearCoatTest: six rows of base / coated / coating-only spheres, the coat
    (with its partial-coating, roughness and normal textures) only in the middle column.
    Drawing it without the coats changes exactly that column's pixels, and a lot of them."""
    model = scene("ClearCoatTest.zip")
    coated = [m for m in model.materials if m.clearcoat is not None]
    assert len(coated) == 6 and all(m.name.endswith("_Coated") for m in coated)
    assert any(m.clearcoat.normal_texture for m in coated if m.clearcoat)
    bare = replace(
        model, materials=[replace(m, clearcoat=None) for m in model.materials], _variant_scenes={}
    )
    camera = Camera(position=(0.0, 0.0, 30.0), target=(0.0, 0.0, 0.0), aspect=1.0)
    with_coat, without = layers(model, camera, 160), layers(bare, camera, 160)
    changed = np.abs(with_coat.rgba.astype(int) - without.rgba.astype(int))[..., :3].max(-1) > 8
    drawn = np.nonzero(with_coat.mask.any(axis=0))[0]
    columns = np.nonzero(changed.any(axis=0))[0]
    assert changed.sum() > 300
    assert columns.max() - columns.min() < 0.25 * (drawn.max() - drawn.min())


def test_anisotropy_stretches_highlights_along_its_direction(
    write_doc: Callable[..., Scene],
) -> None:
    """With the stretch along the sphere's tangent (around it), the soft boxes'
    reflections smear sideways; turned a quarter (rotation π/2), they smear up and down."""

    def spread(rotation: float | None) -> float:
        ext: dict[str, Any] = {}
        if rotation is not None:
            ext["KHR_materials_anisotropy"] = {
                "anisotropyStrength": 0.9,
                "anisotropyRotation": rotation,
            }
        out = layers(sphere(write_doc, metal_rough([0.9, 0.9, 0.9], 1.0, 0.25, **ext)), size=128)
        luma = out.rgba[..., :3].astype(float).mean(axis=-1) * (out.mask == 255)
        ys, xs = np.nonzero(luma > np.percentile(luma[out.mask == 255], 90))
        return float(np.std(xs) / np.std(ys))

    plain, along, across = spread(None), spread(0.0), spread(np.pi / 2)
    assert along > 1.3 * plain
    assert across < plain / 1.3


def test_render_setting_material_variant_draws_that_variant(
    write_doc: Callable[..., Scene], small: Callable[..., Any]
) -> None:
    doc = gltf_doc([metal_rough([1.0, 1.0, 1.0], 0.0, 0.6)], extensions=["KHR_materials_variants"])
    doc["materials"].append(metal_rough([0.05, 0.9, 0.05], 0.0, 0.6))
    doc["extensions"] = {"KHR_materials_variants": {"variants": [{"name": "Jade"}]}}
    doc["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_materials_variants": {"mappings": [{"material": 1, "variants": [0]}]}
    }
    model = write_doc(doc)
    settings = render_settings(RenderSpec(model_id="m", material_variant="Jade", aspect="1:1"))
    with Renderer(small(aspect="1:1", material_variant=settings.material_variant)) as r:
        jade = centre_rgb(r.render_frame(model, 0))
    assert jade[1] > jade[0] + 60 and jade[1] > jade[2] + 60
    with (
        Renderer(small(aspect="1:1", material_variant="Onyx")) as r,
        pytest.raises(InvalidSettings, match="Jade"),
    ):
        r.render_frame(model, 0)


def test_meshopt_filters_decode_to_the_plain_sphere(write_doc: Callable[..., Scene]) -> None:
    """A sphere packed as gltfpack does with filters — positions EXPONENTIAL, normals
    OCTAHEDRAL (int8), indices TRIANGLES — draws the plain sphere: same depth and normals."""
    meshopt = pytest.importorskip("meshopt")
    pos, _, idx = uv_sphere()
    n = len(pos)
    packed_pos = meshopt.encode_filter_exp(pos, 16)
    normals = np.concatenate([pos, np.zeros((n, 1), np.float32)], axis=1)
    packed_nrm = meshopt.encode_filter_oct(normals, 4, 8)
    streams = [
        (meshopt.encode_gltf_buffer(packed_pos, "ATTRIBUTES"), 12, n, "ATTRIBUTES", "EXPONENTIAL"),
        (meshopt.encode_gltf_buffer(packed_nrm, "ATTRIBUTES"), 4, n, "ATTRIBUTES", "OCTAHEDRAL"),
        (
            meshopt.encode_gltf_buffer(idx.astype(np.uint32), "TRIANGLES"),
            2,
            len(idx),
            "TRIANGLES",
            None,
        ),
    ]
    blob, views, decoded_offset = b"", [], 0
    for data, stride, count, mode, filt in streams:
        ext = {
            "buffer": 0,
            "byteOffset": len(blob),
            "byteLength": len(data),
            "byteStride": stride,
            "count": count,
            "mode": mode,
        }
        if filt:
            ext["filter"] = filt
        view = {"buffer": 1, "byteOffset": decoded_offset, "byteLength": stride * count}
        if mode == "ATTRIBUTES":
            view["byteStride"] = stride
        views.append({**view, "extensions": {"EXT_meshopt_compression": ext}})
        blob += data + b"\0" * (-len(data) % 4)
        decoded_offset += stride * count + (-(stride * count) % 4)
    packed = gltf_doc([metal_rough([0.8, 0.8, 0.8], 0.0, 0.5)])
    packed["extensionsUsed"] = packed["extensionsRequired"] = ["EXT_meshopt_compression"]
    packed["buffers"] = [
        {
            "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
            "byteLength": len(blob),
        },
        {
            "byteLength": decoded_offset,
            "extensions": {"EXT_meshopt_compression": {"fallback": True}},
        },
    ]
    packed["bufferViews"] = views
    packed["accessors"] = [
        {"bufferView": 2, "componentType": 5123, "count": len(idx), "type": "SCALAR"},
        {"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5120, "normalized": True, "count": n, "type": "VEC3"},
    ]
    packed["meshes"][0]["primitives"][0]["attributes"] = {"POSITION": 1, "NORMAL": 2}
    a = layers(write_doc(packed))
    b = layers(write_doc(gltf_doc([metal_rough([0.8, 0.8, 0.8], 0.0, 0.5)])))
    both = (a.depth > 0) & (b.depth > 0)
    assert both.sum() > 0.9 * (b.depth > 0).sum()
    assert np.abs(a.depth[both] - b.depth[both]).max() < 0.01
    assert np.percentile(np.abs(a.normal[both] - b.normal[both]), 99) < 0.03


def test_a_corrupt_ktx2_image_is_an_invalid_model(
    make_gltf: Callable[..., Path], asset: Callable[[str], Path], tmp_path: Path
) -> None:
    """The header's size (16×16) is kept: a header claiming more is refused as too large
    before the transcoder sees it (tests/exchange/test_textures.py)."""
    good = asset("ktx2/checker-uastc.ktx2").read_bytes()
    broken = tmp_path / "broken.ktx2"
    broken.write_bytes(good[:28] + b"\x07" * (len(good) - 28))
    with pytest.raises(InvalidModel, match="KTX2"):
        quad_with_image(make_gltf, broken, basisu=True)

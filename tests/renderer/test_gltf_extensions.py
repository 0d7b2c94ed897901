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
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from renderer import Camera, Scene, load_scene, render_layers
from renderer.gl_context import get_program
from renderer.shader_source import compose

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
    "HAS_THICKNESS_MAP": True,
    "THICKNESS_UV": 0,
    "LIGHT_COUNT": 3,
}
EXTENSION_VARIANTS = [
    ("primitive.vert", "pbr.frag", ALL_EXTENSIONS),
    ("primitive.vert", "pbr.frag", {**ALL_EXTENSIONS, "HAS_TANGENT": True, "REFLECTION": True}),
    ("primitive.vert", "pbr.frag", {**ALL_EXTENSIONS, "LAYERS": True}),
    ("primitive.vert", "depth_only.frag", {**ALL_EXTENSIONS, "ALPHA_MASK": True}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_CLEARCOAT": True, "LIGHT_COUNT": 1}),
    ("primitive.vert", "pbr.frag", {"MATERIAL_TRANSMISSION": True}),
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

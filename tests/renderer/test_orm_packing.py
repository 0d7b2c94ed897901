"""Occlusion packed into the metallic-roughness texture (one fetch instead of two).

glTF puts occlusion in red and roughness/metallic in green/blue so that one texture can
hold all three; when a file keeps them in two images of the same size, UVs and sampler,
the renderer packs them itself. The packed draw must give exactly the pixels of the two
separate fetches, and the occlusion must still darken.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage
from test_texture_wrap import REPEAT, quad_doc

import renderer.gl_scene as gl_scene
from renderer import Camera, Renderer, RenderSettings, load_scene

FRONT = Camera(position=(0.0, 0.0, 3.0), target=(0.0, 0.0, 0.0), aspect=1.0)


def png(pixels: np.ndarray) -> str:
    buf = io.BytesIO()
    PILImage.fromarray(pixels.astype(np.uint8), "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def doc(occlusion_side: int, occlusion: float) -> dict[str, Any]:
    """A lit grey quad: metallic-roughness image (rough, half metal, with a gradient) and
    a separate occlusion image of ``occlusion`` everywhere."""
    ramp = np.linspace(0, 255, 8)
    mr = np.zeros((8, 8, 4))
    mr[..., 1] = ramp[None, :]  # roughness across
    mr[..., 2] = ramp[:, None]  # metallic down
    mr[..., 0], mr[..., 3] = 255, 255  # red unused by glTF: packing must replace it
    occ = np.full((occlusion_side, occlusion_side, 4), 255.0)
    occ[..., 0] = occlusion * 255
    material = {
        "pbrMetallicRoughness": {
            "baseColorFactor": [0.8, 0.8, 0.8, 1],
            "metallicRoughnessTexture": {"index": 0},
        },
        "occlusionTexture": {"index": 1, "strength": 1.0},
    }
    d = quad_doc(material, b"", REPEAT, REPEAT)
    d["extensionsUsed"] = []
    d["samplers"] = [{}]
    d["images"] = [{"uri": png(mr)}, {"uri": png(occ)}]
    d["textures"] = [{"source": 0, "sampler": 0}, {"source": 1, "sampler": 0}]
    return d


def render(tmp_path: Path, name: str, document: dict[str, Any]) -> np.ndarray:
    path = tmp_path / f"{name}.gltf"
    path.write_text(json.dumps(document))
    settings = RenderSettings(width=96, height=96, aspect="1:1", shadows=False)
    with Renderer(settings) as renderer:
        return renderer.render_view(load_scene(path), FRONT).astype(np.int16)


def test_packed_occlusion_gives_the_pixels_of_two_fetches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = render(tmp_path, "packed", doc(8, 0.25))
    monkeypatch.setattr(gl_scene, "packs_occlusion", lambda material, scene: False)
    separate = render(tmp_path, "separate", doc(8, 0.25))
    assert np.array_equal(packed, separate)
    unoccluded = render(tmp_path, "open", doc(8, 1.0))
    centre = np.s_[40:56, 40:56, :3]
    assert packed[centre].mean() < 0.8 * unoccluded[centre].mean()  # occlusion still darkens


def test_only_same_sized_maps_with_the_same_uvs_are_packed(tmp_path: Path) -> None:
    for side, packs in ((8, True), (4, False)):
        path = tmp_path / f"side{side}.gltf"
        path.write_text(json.dumps(doc(side, 0.25)))
        scene = load_scene(path)
        assert gl_scene.packs_occlusion(scene.materials[0], scene) is packs
    # a different size still renders with its occlusion, through two fetches
    small = render(tmp_path, "small", doc(4, 0.25))
    same = render(tmp_path, "same", doc(8, 0.25))
    assert np.abs(small - same).max() <= 2

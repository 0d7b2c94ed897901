"""glTF extensions, checked by what they draw: pixels of small scenes on llvmpipe.

Test scenes are written here as glTF JSON (a UV sphere and a quad, materials varied per
test) or come from tests/assets. Colours are compared in the rendered frames; a feature
that loaded but drew nothing different would fail.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from renderer import Camera, Scene, load_scene, render_layers

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

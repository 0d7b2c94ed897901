"""Texture wrap modes (REPEAT, MIRRORED_REPEAT, CLAMP_TO_EDGE), checked per axis from pixels.

A flat quad faces the camera with UVs spanning 0..2 along the tested axis, textured with a
two-colour image (red | blue along that axis, NEAREST filtered). Sampling the centre of
each quarter of the quad gives the colour sequence the wrap mode implies:
REPEAT R|B|R|B, MIRRORED_REPEAT R|B|B|R, CLAMP_TO_EDGE R|B|B|B.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from renderer import Camera, Scene, load_scene, render_layers

REPEAT, MIRRORED, CLAMP = 10497, 33648, 33071
NEAREST = 9728
SIZE = 96
FRONT = Camera(position=(0.0, 0.0, 3.0), target=(0.0, 0.0, 0.0), aspect=1.0)
RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


def two_colour_png(axis: str) -> bytes:
    """4×4 PNG: red in the first half along ``axis`` (left for u, top for v), blue after."""
    img = PILImage.new("RGBA", (4, 4), BLUE)
    img.paste(RED, (0, 0, 2, 4) if axis == "u" else (0, 0, 4, 2))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def quad_doc(material: dict[str, Any], image: bytes, wrap_s: int, wrap_t: int) -> dict[str, Any]:
    """A 2×2 quad in the z=0 plane, UVs 0..2 on both axes (v grows downwards)."""
    pos = np.array([[-1, 1, 0], [1, 1, 0], [1, -1, 0], [-1, -1, 0]], np.float32)
    nrm = np.array([[0, 0, 1]] * 4, np.float32)
    uv = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], np.float32)
    idx = np.array([0, 3, 2, 0, 2, 1], np.uint16)
    blob = idx.tobytes() + pos.tobytes() + nrm.tobytes() + uv.tobytes()
    offsets = np.cumsum([0, idx.nbytes, pos.nbytes, nrm.nbytes])
    sizes = [idx.nbytes, pos.nbytes, nrm.nbytes, uv.nbytes]
    return {
        "asset": {"version": "2.0"},
        "extensionsUsed": ["KHR_materials_unlit"],
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [
            {
                "primitives": [
                    {
                        "attributes": {"POSITION": 1, "NORMAL": 2, "TEXCOORD_0": 3},
                        "indices": 0,
                        "material": 0,
                    }
                ]
            }
        ],
        "materials": [material],
        "samplers": [
            {"magFilter": NEAREST, "minFilter": NEAREST, "wrapS": wrap_s, "wrapT": wrap_t}
        ],
        "images": [{"uri": "data:image/png;base64," + base64.b64encode(image).decode()}],
        "textures": [{"source": 0, "sampler": 0}],
        "buffers": [
            {
                "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode(),
                "byteLength": len(blob),
            }
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": int(o), "byteLength": s}
            for o, s in zip(offsets, sizes, strict=True)
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5123, "count": 6, "type": "SCALAR"},
            {
                "bufferView": 1,
                "componentType": 5126,
                "count": 4,
                "type": "VEC3",
                "min": [-1, -1, 0],
                "max": [1, 1, 0],
            },
            {"bufferView": 2, "componentType": 5126, "count": 4, "type": "VEC3"},
            {"bufferView": 3, "componentType": 5126, "count": 4, "type": "VEC2"},
        ],
    }


UNLIT = {
    "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
    "extensions": {"KHR_materials_unlit": {}},
}
# Black metal (no diffuse, no reflection): only the emissive texture shows.
EMISSIVE = {
    "pbrMetallicRoughness": {
        "baseColorFactor": [0, 0, 0, 1],
        "metallicFactor": 1.0,
        "roughnessFactor": 1.0,
    },
    "emissiveTexture": {"index": 0},
    "emissiveFactor": [1, 1, 1],
}


@pytest.fixture()
def write_doc(tmp_path: Path) -> Callable[[dict[str, Any]], Scene]:
    counter = iter(range(1000))

    def write(doc: dict[str, Any]) -> Scene:
        path = tmp_path / f"quad{next(counter)}.gltf"
        path.write_text(json.dumps(doc))
        return load_scene(path)

    return write


def sequence(scene: Scene, axis: str) -> str:
    """Colours ('R'/'B') at the centres of the quad's four quarters along ``axis``."""
    out = render_layers(scene, FRONT, SIZE, SIZE)
    covered = out.mask == 255
    rows, cols = np.nonzero(covered)
    assert covered.sum() > 0.2 * SIZE * SIZE, "the quad should fill much of the frame"
    (lo, hi), mid = (
        ((cols.min(), cols.max()), (rows.min() + rows.max()) // 2)
        if axis == "u"
        else ((rows.min(), rows.max()), (cols.min() + cols.max()) // 2)
    )
    letters = []
    for k in range(4):
        at = round(float(lo + (hi - lo) * (2 * k + 1) / 8))
        pixel = out.rgba[mid, at] if axis == "u" else out.rgba[at, mid]
        r, b = int(pixel[0]), int(pixel[2])
        assert abs(r - b) > 100, f"pixel {at} along {axis} is not clearly red or blue: {r}, {b}"
        letters.append("R" if r > b else "B")
    return "".join(letters)


EXPECTED = {REPEAT: "RBRB", MIRRORED: "RBBR", CLAMP: "RBBB"}
NAMES = {REPEAT: "repeat", MIRRORED: "mirrored", CLAMP: "clamp"}


@pytest.mark.parametrize("axis", ["u", "v"])
@pytest.mark.parametrize("mode", [REPEAT, MIRRORED, CLAMP], ids=NAMES.get)
def test_wrap_mode_sets_the_colour_sequence_along_its_axis(
    write_doc: Callable[[dict[str, Any]], Scene], axis: str, mode: int
) -> None:
    """The tested axis wraps with ``mode``; the other axis repeats, so a mirror flag
    applied to the wrong axis would show the REPEAT sequence instead."""
    wrap_s, wrap_t = (mode, REPEAT) if axis == "u" else (REPEAT, mode)
    scene = write_doc(quad_doc(UNLIT, two_colour_png(axis), wrap_s, wrap_t))
    assert sequence(scene, axis) == EXPECTED[mode]


@pytest.mark.parametrize("axis", ["u", "v"])
def test_the_other_axis_is_not_mirrored(
    write_doc: Callable[[dict[str, Any]], Scene], axis: str
) -> None:
    """Only the other axis mirrors: the tested axis still repeats."""
    wrap_s, wrap_t = (REPEAT, MIRRORED) if axis == "u" else (MIRRORED, REPEAT)
    scene = write_doc(quad_doc(UNLIT, two_colour_png(axis), wrap_s, wrap_t))
    assert sequence(scene, axis) == EXPECTED[REPEAT]


@pytest.mark.parametrize("axis", ["u", "v"])
def test_emissive_slot_wraps_mirrored(
    write_doc: Callable[[dict[str, Any]], Scene], axis: str
) -> None:
    """A second slot (emissive) honours its own mirror flags."""
    wrap_s, wrap_t = (MIRRORED, REPEAT) if axis == "u" else (REPEAT, MIRRORED)
    scene = write_doc(quad_doc(EMISSIVE, two_colour_png(axis), wrap_s, wrap_t))
    assert sequence(scene, axis) == EXPECTED[MIRRORED]

"""Fixtures for the renderer tests: real assets, small render settings, ray casting."""

from __future__ import annotations

import base64
import json
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

# tests/conftest.py has no __init__.py beside it, so pytest puts tests/ first on sys.path
# and tests/renderer/ would shadow the real package as an empty namespace package. Put
# the project root ahead of it so `import renderer` is the library.
ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))
if getattr(sys.modules.get("renderer"), "__file__", "") is None:
    del sys.modules["renderer"]

from renderer import Camera, RenderSettings, Scene, load_scene  # noqa: E402
from renderer.animation import evaluate_pose  # noqa: E402
from renderer.framing import posed_points  # noqa: E402

ASSETS = ROOT / "tests" / "assets"


@pytest.fixture(scope="session")
def asset() -> Callable[[str], Path]:
    def path(name: str) -> Path:
        return ASSETS / name

    return path


@pytest.fixture(scope="session")
def scene() -> Callable[[str], Scene]:
    """Load (once per session) a scene from tests/assets."""
    cache: dict[str, Scene] = {}

    def load(name: str) -> Scene:
        if name not in cache:
            cache[name] = load_scene(ASSETS / name)
        return cache[name]

    return load


@pytest.fixture(scope="session")
def small() -> Callable[..., RenderSettings]:
    """RenderSettings at a small output size (fast on llvmpipe); kwargs override."""

    def make(**overrides: Any) -> RenderSettings:
        aspect = overrides.get("aspect", "16:9")
        size = {"16:9": (192, 108), "1:1": (128, 128), "9:16": (108, 192)}[aspect]
        base: dict[str, Any] = {"width": size[0], "height": size[1], "length": 1.0}
        base.update(overrides)
        return RenderSettings(**base)

    return make


@pytest.fixture(scope="session")
def raycast_mask() -> Callable[[trimesh.Trimesh, Camera, int, int], np.ndarray]:
    """Boolean H×W hit mask of rays through pixel centres of ``camera`` (top row first)."""

    def cast(mesh: trimesh.Trimesh, camera: Camera, width: int, height: int) -> np.ndarray:
        c2w = camera.camera_to_world()
        tan_y = np.tan(np.radians(camera.fov_y) / 2)
        tan_x = tan_y * width / height
        xs = ((np.arange(width) + 0.5) / width * 2 - 1) * tan_x
        ys = (1 - (np.arange(height) + 0.5) / height * 2) * tan_y
        gx, gy = np.meshgrid(xs, ys)
        dirs_cam = np.stack([gx, gy, -np.ones_like(gx)], axis=-1).reshape(-1, 3)
        dirs = dirs_cam @ c2w[:3, :3].T
        origins = np.broadcast_to(c2w[:3, 3], dirs.shape)
        hits = mesh.ray.intersects_any(origins, dirs)
        return hits.reshape(height, width)

    return cast


@pytest.fixture(scope="session")
def rest_mesh() -> Callable[[Scene], trimesh.Trimesh]:
    """The scene's rest pose as one world-space trimesh (for independent ray casts)."""

    def build(s: Scene) -> trimesh.Trimesh:
        pose = evaluate_pose(s, None, 0.0)
        prims = [p for n in s.nodes if n.mesh is not None for p in s.meshes[n.mesh].primitives]
        verts, faces, offset = [], [], 0
        for pts, prim in zip(posed_points(s, pose), prims, strict=True):
            verts.append(pts)
            faces.append(prim.indices.reshape(-1, 3) + offset)
            offset += len(pts)
        return trimesh.Trimesh(np.concatenate(verts), np.concatenate(faces), process=False)

    return build


def _png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width``×``height`` (pixel data truncated)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.fixture(scope="session")
def png_header() -> Callable[[int, int], bytes]:
    return _png


@pytest.fixture(scope="session")
def make_gltf(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Write a one-triangle-pair .gltf with data: URIs; kwargs patch the JSON."""
    counter = iter(range(10_000))

    def write(
        *,
        positions: np.ndarray | None = None,
        extra: dict[str, Any] | None = None,
        image: bytes | None = None,
        index_count: int | None = None,
    ) -> Path:
        pos = (
            np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
            if positions is None
            else positions.astype(np.float32)
        )
        uv = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
        idx = np.array([0, 1, 2, 0, 2, 3], np.uint16)
        blob = idx.tobytes() + b"\0\0" + pos.tobytes() + uv.tobytes()
        uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
        doc: dict[str, Any] = {
            "asset": {"version": "2.0"},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [{"mesh": 0}],
            "meshes": [
                {"primitives": [{"attributes": {"POSITION": 1, "TEXCOORD_0": 2}, "indices": 0}]}
            ],
            "buffers": [{"uri": uri, "byteLength": len(blob)}],
            "bufferViews": [
                {"buffer": 0, "byteOffset": 0, "byteLength": 12},
                {"buffer": 0, "byteOffset": 14, "byteLength": pos.nbytes},
                {"buffer": 0, "byteOffset": 14 + pos.nbytes, "byteLength": uv.nbytes},
            ],
            "accessors": [
                {
                    "bufferView": 0,
                    "componentType": 5123,
                    "count": index_count or 6,
                    "type": "SCALAR",
                },
                {"bufferView": 1, "componentType": 5126, "count": len(pos), "type": "VEC3"},
                {"bufferView": 2, "componentType": 5126, "count": 4, "type": "VEC2"},
            ],
        }
        if image is not None:
            doc["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(image).decode()}]
            doc["textures"] = [{"source": 0}]
            doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
            doc["meshes"][0]["primitives"][0]["material"] = 0
        for key, value in (extra or {}).items():
            doc[key] = value
        path = tmp_path_factory.mktemp("gltf") / f"model{next(counter)}.gltf"
        path.write_text(json.dumps(doc))
        return path

    return write

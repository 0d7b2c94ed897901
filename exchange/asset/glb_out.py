""":class:`~exchange.asset.model.Asset` → a standard GLB (glTF 2.0, one BIN chunk).

Written by hand so the layout is known: per primitive, float32 POSITION (with the
``min``/``max`` the spec requires), NORMAL and TEXCOORD_0 and uint32 indices, each in its
own bufferView aligned to 4 bytes; every distinct image once, as a bufferView with its
PNG/JPEG mime type; one sampler (repeat, linear mipmaps); the node hierarchy as it is,
local transforms written as ``matrix`` only where they are not the identity.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset.model import Asset, Material, Primitive, Texture

GLB_MAGIC, JSON_CHUNK, BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, FLOAT, UINT = 34962, 34963, 5126, 5125


class _Builder:
    def __init__(self) -> None:
        self.bin = bytearray()
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []
        self.images: list[dict[str, Any]] = []
        self._image_of: dict[bytes, int] = {}

    def view(self, data: bytes, target: int | None) -> int:
        self.bin.extend(b"\0" * (-len(self.bin) % 4))
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.bin), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.bin.extend(data)
        self.views.append(view)
        return len(self.views) - 1

    def accessor(self, values: np.ndarray, kind: str, indices: bool = False) -> int:
        dtype = np.uint32 if indices else np.float32
        arr = np.ascontiguousarray(values, dtype=dtype)
        target = ELEMENT_ARRAY_BUFFER if indices else ARRAY_BUFFER
        acc: dict[str, Any] = {
            "bufferView": self.view(arr.tobytes(), target),
            "componentType": UINT if indices else FLOAT,
            "count": int(arr.size if indices else len(arr)),
            "type": kind,
        }
        if kind == "VEC3" and not indices:
            acc["min"], acc["max"] = arr.min(0).tolist(), arr.max(0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def texture(self, tex: Texture) -> int:
        """The texture index of ``tex`` (one texture per image)."""
        if tex.data not in self._image_of:
            self.images.append({"bufferView": self.view(tex.data, None), "mimeType": tex.mime})
            self._image_of[tex.data] = len(self.images) - 1
        return self._image_of[tex.data]


def write_glb(asset: Asset, path: Path) -> None:
    b = _Builder()
    drawn = {n.mesh for n in asset.nodes if n.mesh is not None}
    used = {i for i in drawn if any(len(p.indices) for p in asset.meshes[i].primitives)}
    meshes = [
        {"name": m.name, "primitives": [_primitive(b, p) for p in m.primitives if len(p.indices)]}
        if i in used
        else {}
        for i, m in enumerate(asset.meshes)
    ]
    doc: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "meshfarm exchange"},
        "scene": 0,
        "scenes": [{"nodes": asset.roots}],
        "nodes": [
            _node(n.name, n.matrix, n.mesh if n.mesh in used else None, n.children)
            for n in asset.nodes
        ],
        "materials": [_material(b, m) for m in asset.materials],
    }
    doc["meshes"], remap = _drop_empty(meshes)
    for node in doc["nodes"]:
        if "mesh" in node:
            node["mesh"] = remap[node["mesh"]]
    if b.images:
        doc["images"] = b.images
        doc["samplers"] = [{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]
        doc["textures"] = [{"sampler": 0, "source": i} for i in range(len(b.images))]
    doc["bufferViews"], doc["accessors"] = b.views, b.accessors
    if b.bin:
        doc["buffers"] = [{"byteLength": len(b.bin)}]
    _write(path, {k: v for k, v in doc.items() if v != []}, bytes(b.bin))


def _drop_empty(meshes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """glTF forbids a mesh without primitives (and a validator warns of unused ones): keep
    the meshes nodes draw, renumbered."""
    kept = [i for i, m in enumerate(meshes) if m]
    return [meshes[i] for i in kept], {old: new for new, old in enumerate(kept)}


def _node(name: str, matrix: np.ndarray, mesh: int | None, children: list[int]) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name} if name else {}
    if not np.allclose(matrix, np.eye(4)):
        node["matrix"] = matrix.T.reshape(16).tolist()
    if mesh is not None:
        node["mesh"] = mesh
    if children:
        node["children"] = children
    return node


def _primitive(b: _Builder, p: Primitive) -> dict[str, Any]:
    attrs = {"POSITION": b.accessor(p.positions, "VEC3")}
    if p.normals is not None:
        attrs["NORMAL"] = b.accessor(p.normals, "VEC3")
    if p.uvs is not None:
        attrs["TEXCOORD_0"] = b.accessor(p.uvs, "VEC2")
    prim: dict[str, Any] = {"attributes": attrs, "indices": b.accessor(p.indices, "SCALAR", True)}
    if p.material is not None:
        prim["material"] = p.material
    return prim


def _material(b: _Builder, m: Material) -> dict[str, Any]:
    pbr: dict[str, Any] = {
        "baseColorFactor": list(m.base_color),
        "metallicFactor": m.metallic,
        "roughnessFactor": m.roughness,
    }
    out: dict[str, Any] = {"pbrMetallicRoughness": pbr}
    if m.name:
        out["name"] = m.name
    if m.base_color_texture is not None:
        pbr["baseColorTexture"] = {"index": b.texture(m.base_color_texture)}
    if m.metallic_roughness_texture is not None:
        pbr["metallicRoughnessTexture"] = {"index": b.texture(m.metallic_roughness_texture)}
    for key, tex in (
        ("normalTexture", m.normal_texture),
        ("occlusionTexture", m.occlusion_texture),
        ("emissiveTexture", m.emissive_texture),
    ):
        if tex is not None:
            out[key] = {"index": b.texture(tex)}
    if any(m.emissive):
        out["emissiveFactor"] = list(m.emissive)
    if m.base_color[3] < 1.0:
        out["alphaMode"] = "BLEND"
    return out


def _write(path: Path, doc: dict[str, Any], binary: bytes) -> None:
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<II", len(text), JSON_CHUNK) + text
    if binary:
        chunks += struct.pack("<II", len(binary), BIN_CHUNK) + binary
    path.write_bytes(struct.pack("<III", GLB_MAGIC, 2, 12 + len(chunks)) + chunks)

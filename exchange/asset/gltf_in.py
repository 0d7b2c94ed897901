"""glTF (.glb, .gltf, a ZIP of one) → :class:`~exchange.asset.model.Asset`.

The file is opened and checked by THE glTF reader and the upload check's rules
(:func:`exchange.open_asset`, :func:`exchange.check_model`), so a file the converter reads
is one the broker would accept; accessor values come from the same checked layouts
(:func:`exchange.accessor_data.accessor_values`). Draco- and meshopt-compressed data is
decoded (:mod:`exchange.asset.codecs`) and held to the same rules. Only triangle
primitives and TEXCOORD_0 are kept; points and lines carry no surface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from exchange.accessor_data import AccessorData, accessor_values
from exchange.asset.codecs import DecodedViews, draco_primitive
from exchange.asset.model import Asset, Material, Mesh, Node, Primitive, Texture
from exchange.asset.skinning import joint_matrices, skinned, world_matrices
from exchange.errors import AssetUnsupported
from exchange.gltf import GltfContainer, open_asset
from exchange.limits import AssetLimits
from exchange.meshes import DRACO
from exchange.model_check import check_model
from exchange.scene_graph import scene_roots

IGNORABLE = frozenset(
    {
        "KHR_materials_emissive_strength",
        "KHR_materials_unlit",
        "KHR_mesh_quantization",
        "KHR_texture_transform",
    }
)
"""Required extensions a conversion may read past (their effect is lost, not misread)."""
DECODED = frozenset({DRACO, "EXT_meshopt_compression", "KHR_meshopt_compression"})
"""Required extensions whose data :mod:`exchange.asset.codecs` decodes."""
TRIANGLES, POINTS_AND_LINES = 4, (0, 1, 2, 3)
MIMES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def read_gltf_asset(path: Path, limits: AssetLimits) -> Asset:
    with open_asset(path, limits, files_beside=True) as container:
        views = DecodedViews(container)
        data = check_model(container, limits, IGNORABLE | DECODED, views)
        return _Reader(container, data, views).asset()


def sniff_mime(data: bytes) -> str | None:
    return next((m for head, m in MIMES.items() if data.startswith(head)), None)


class _Reader:
    def __init__(self, container: GltfContainer, data: AccessorData, views: DecodedViews) -> None:
        self.c, self.data, self.doc, self.views = container, data, container.document, views
        self._textures: dict[int, Texture | None] = {}

    def asset(self) -> Asset:
        nodes = [self._node(n) for n in self.doc.get("nodes", [])]
        meshes = [self._mesh(i, m) for i, m in enumerate(self.doc.get("meshes", []))]
        materials = [self._material(m) for m in self.doc.get("materials", [])]
        roots = scene_roots(self.doc)
        worlds = world_matrices(nodes)
        for i, n in enumerate(self.doc.get("nodes", [])):
            mesh = nodes[i].mesh
            if n.get("skin") is None or mesh is None:
                continue
            # glTF ignores a skinned mesh's node transform: its joints place it
            skin = self.doc["skins"][n["skin"]]
            ibm = skin.get("inverseBindMatrices")
            binds = None if ibm is None else self._floats(ibm).reshape(-1, 4, 4).transpose(0, 2, 1)
            mats = joint_matrices(worlds, skin["joints"], binds)
            meshes.append(self._mesh(mesh, self.doc["meshes"][mesh], mats))
            nodes.append(Node(nodes[i].name, mesh=len(meshes) - 1))
            nodes[i].mesh = None
            roots.append(len(nodes) - 1)
        return Asset(nodes, roots, meshes, materials)

    def _node(self, n: dict[str, Any]) -> Node:
        return Node(
            str(n.get("name", "")), node_matrix(n), n.get("mesh"), list(n.get("children", []))
        )

    def _mesh(self, i: int, mesh: dict[str, Any], joints: np.ndarray | None = None) -> Mesh:
        prims = []
        for j, p in enumerate(mesh.get("primitives", [])):
            what = f"meshes[{i}].primitives[{j}]"
            mode = p.get("mode", TRIANGLES)
            if mode in POINTS_AND_LINES:
                continue
            if mode != TRIANGLES:
                raise AssetUnsupported(f"{what}: strips and fans are not converted yet")
            prims.append(self._primitive(p, what, joints))
        return Mesh(str(mesh.get("name", "")), prims)

    def _primitive(self, p: dict[str, Any], what: str, joints: np.ndarray | None) -> Primitive:
        draco = p.get("extensions", {}).get(DRACO)
        if draco is not None:
            data = self.views.stored(draco["bufferView"])
            values, tris = draco_primitive(self.doc, p, data, what)
            uvs = values.get("TEXCOORD_0")
            return Primitive(values["POSITION"], tris, values.get("NORMAL"), uvs, p.get("material"))
        attrs = p["attributes"]
        positions = self._floats(attrs["POSITION"])
        if "indices" in p:
            flat = accessor_values(self.data, p["indices"]).reshape(-1).astype(np.uint32)
        else:
            flat = np.arange(len(positions), dtype=np.uint32)
        normals = self._floats(attrs["NORMAL"]) if "NORMAL" in attrs else None
        uvs = self._floats(attrs["TEXCOORD_0"]) if "TEXCOORD_0" in attrs else None
        tris = flat[: len(flat) // 3 * 3].reshape(-1, 3)
        if joints is not None and "JOINTS_0" in attrs and "WEIGHTS_0" in attrs:
            ids = accessor_values(self.data, attrs["JOINTS_0"])
            positions, normals = skinned(
                positions, normals, ids, self._floats(attrs["WEIGHTS_0"]), joints
            )
        return Primitive(positions, tris, normals, uvs, p.get("material"))

    def _floats(self, accessor: int) -> np.ndarray:
        return np.ascontiguousarray(accessor_values(self.data, accessor), dtype=np.float32)

    def _material(self, m: dict[str, Any]) -> Material:
        pbr = m.get("pbrMetallicRoughness", {})
        r, g, b, a = (float(v) for v in pbr.get("baseColorFactor", (1, 1, 1, 1)))
        if m.get("alphaMode", "OPAQUE") == "OPAQUE":
            a = 1.0  # glTF ignores alpha in OPAQUE mode; the Asset's alpha is always meant
        return Material(
            name=str(m.get("name", "")),
            base_color=(r, g, b, a),
            base_color_texture=self._texture(pbr.get("baseColorTexture")),
            metallic=float(pbr.get("metallicFactor", 1.0)),
            roughness=float(pbr.get("roughnessFactor", 1.0)),
            metallic_roughness_texture=self._texture(pbr.get("metallicRoughnessTexture")),
            normal_texture=self._texture(m.get("normalTexture")),
            occlusion_texture=self._texture(m.get("occlusionTexture")),
            emissive=tuple(float(v) for v in m.get("emissiveFactor", (0, 0, 0))),  # type: ignore[arg-type]
            emissive_texture=self._texture(m.get("emissiveTexture")),
        )

    def _texture(self, info: dict[str, Any] | None) -> Texture | None:
        """The PNG/JPEG image a texture info points at (None: none, or another codec)."""
        if info is None:
            return None
        tex = info["index"]
        if tex not in self._textures:
            source = self.doc["textures"][tex].get("source")
            found = None
            if source is not None:
                raw = self.c.image_blob(source, f"images[{source}]").read()
                mime = sniff_mime(raw)
                found = None if mime is None else Texture(raw, mime)
            self._textures[tex] = found
        return self._textures[tex]


def node_matrix(n: dict[str, Any]) -> np.ndarray:
    """A node's local matrix from ``matrix`` (column-major) or T·R·S."""
    if "matrix" in n:
        return np.array(n["matrix"], dtype=np.float64).reshape(4, 4).T
    t = np.eye(4)
    t[:3, 3] = n.get("translation", (0, 0, 0))
    x, y, z, w = n.get("rotation", (0, 0, 0, 1))
    r = np.eye(4)
    r[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    s = np.diag([*n.get("scale", (1, 1, 1)), 1.0])
    return t @ r @ s

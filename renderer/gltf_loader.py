"""glTF 2.0 document → :class:`~renderer.scene.Scene`.

The file is read by :mod:`exchange`'s reader — the one the upload check uses — under an
:class:`~exchange.limits.AssetLimits` (by default the defaults of the farm's settings);
textures are held to its limits from their headers, and the node graph checked
(:mod:`exchange.scene_graph`), before anything is decoded. Here the document becomes a
scene, checking what it reads: references in range, sizes under the limits from declared
counts before decoding. Meshes are :mod:`renderer.gltf_meshes`', materials
:mod:`renderer.gltf_materials`'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from exchange.gltf import GltfContainer
from exchange.limits import AssetLimits
from exchange.scene_graph import check_node_graph, scene_roots
from exchange.textures import check_textures
from renderer.accessors import BufferReader, int_field, item, json_vector
from renderer.errors import InvalidModel, ModelTooLarge, SceneError, UnsupportedModel
from renderer.extensions import SUPPORTED_EXTENSIONS
from renderer.gltf_materials import MaterialReader
from renderer.gltf_meshes import TRIANGLES, MeshReader
from renderer.gltf_source import open_source
from renderer.scene import Animation, Channel, Light, Node, Scene, Skin

DEFAULT_LIMITS = AssetLimits()


def load_scene(path: str | Path, limits: AssetLimits = DEFAULT_LIMITS) -> Scene:
    """Load a .glb, .gltf (with data: URIs or files beside it) or a .zip holding one glTF.

    Raises a :class:`~renderer.errors.SceneError` subclass whose message says what is
    wrong with the file; unknown but optional extensions only add to ``scene.warnings``.
    """
    path = Path(path)
    try:
        with open_source(path, limits) as container:
            check_textures(container, limits)
            return _Loader(container, limits).load()
    except SceneError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InvalidModel(f"{path.name} is not valid glTF: {exc!r}") from None


class _Loader:
    def __init__(self, container: GltfContainer, limits: AssetLimits) -> None:
        self.container = container
        self.doc = container.document
        self.limits = limits
        self.reader = BufferReader(container, limits)
        self.warnings: list[str] = []
        self.materials = MaterialReader(container, self.reader, self.warnings)
        self.meshes = MeshReader(self.reader, limits, len(self._variants()), self.warnings)

    def load(self) -> Scene:
        self._check_extensions()
        check_node_graph(self.doc, self.limits)
        roots = scene_roots(self.doc)
        nodes = [self._node(i, n) for i, n in enumerate(self.doc.get("nodes", []))]
        roots = self._hide_invisible(nodes, roots)
        self._expand_instances(nodes)
        self._check_size(nodes)
        materials = [self.materials.material(m) for m in self.doc.get("materials", [])]
        meshes = [
            self.meshes.mesh(i, m, materials) for i, m in enumerate(self.doc.get("meshes", []))
        ]
        for node in nodes:
            if node.mesh is not None and not 0 <= node.mesh < len(meshes):
                raise InvalidModel(f"node {node.name!r} references a missing mesh")
        skins = [self._skin(s, len(nodes)) for s in self.doc.get("skins", [])]
        for node in nodes:
            if node.skin is not None and not 0 <= node.skin < len(skins):
                raise InvalidModel(f"node {node.name!r} references a missing skin")
        animations = [
            self._animation(i, a, nodes) for i, a in enumerate(self.doc.get("animations", []))
        ]
        scene = Scene(
            nodes=nodes,
            roots=roots,
            meshes=meshes,
            materials=materials,
            images=self.materials.images(),
            skins=skins,
            animations=animations,
            warnings=self.warnings,
            source_name=self.container.name,
            lights=self._lights(nodes),
            variants=self._variants(),
        )
        if scene.triangle_count == 0 or not _reachable_mesh(nodes, roots):
            raise InvalidModel("the model has no triangle geometry to render")
        return scene

    # -- document level -------------------------------------------------------------

    def _check_extensions(self) -> None:
        required = set(self.doc.get("extensionsRequired", []))
        missing = sorted(required - SUPPORTED_EXTENSIONS)
        if missing:
            raise UnsupportedModel(
                f"the model requires glTF extensions we cannot render: {', '.join(missing)}"
            )
        for ext in sorted(set(self.doc.get("extensionsUsed", [])) - SUPPORTED_EXTENSIONS):
            self.warnings.append(f"extension {ext} is not supported and was ignored")

    def _variants(self) -> list[str]:
        ext = self.doc.get("extensions", {}).get("KHR_materials_variants", {})
        return [str(v.get("name", f"variant{i}")) for i, v in enumerate(ext.get("variants", []))]

    def _lights(self, nodes: list[Node]) -> list[Light]:
        lights = [
            _light(i, light)
            for i, light in enumerate(
                self.doc.get("extensions", {}).get("KHR_lights_punctual", {}).get("lights", [])
            )
        ]
        for node in nodes:
            if node.light is not None and not 0 <= node.light < len(lights):
                raise InvalidModel(f"node {node.name!r} references a missing light")
        return lights

    def _hide_invisible(self, nodes: list[Node], roots: list[int]) -> list[int]:
        """KHR_node_visibility: a node with ``visible: false`` is not drawn, nor is anything
        under it (it is cut from the tree, so framing ignores it too)."""
        hidden = {
            i
            for i, n in enumerate(self.doc.get("nodes", []))
            if n.get("extensions", {}).get("KHR_node_visibility", {}).get("visible") is False
        }
        if not hidden:
            return roots
        for node in nodes:
            node.children = [c for c in node.children if c not in hidden]
        return [r for r in roots if r not in hidden]

    def _expand_instances(self, nodes: list[Node]) -> None:
        """EXT_mesh_gpu_instancing: each instance becomes a child node drawing the mesh
        with the instance's TRS (in the node's space, as the extension defines), so
        framing, shadows and sorting treat instances like any node."""
        for index, n in enumerate(list(self.doc.get("nodes", []))):
            ext = n.get("extensions", {}).get("EXT_mesh_gpu_instancing")
            node = nodes[index]
            if ext is None or node.mesh is None:
                continue
            attrs = ext.get("attributes", {})
            columns = {k: self.reader.float_accessor(int_field(attrs, k)) for k in attrs}
            counts = {len(v) for v in columns.values()}
            if len(counts) != 1:
                raise InvalidModel(f"node {index}'s instance attributes differ in count")
            count = counts.pop()
            if len(nodes) + count > self.limits.max_nodes:
                raise ModelTooLarge(f"the model draws more than {self.limits.max_nodes} instances")
            if node.skin is not None:
                self.warnings.append(f"node {index}: skinned meshes are drawn once, not instanced")
                continue
            trs = {
                "TRANSLATION": columns.get("TRANSLATION", np.zeros((count, 3))),
                "ROTATION": columns.get("ROTATION", np.tile([0.0, 0.0, 0.0, 1.0], (count, 1))),
                "SCALE": columns.get("SCALE", np.ones((count, 3))),
            }
            if any(not np.all(np.isfinite(v)) for v in trs.values()):
                raise InvalidModel(f"node {index} has non-finite instance transforms")
            first = len(nodes)
            for k in range(count):
                nodes.append(
                    Node(
                        name=f"{node.name}#{k}",
                        mesh=node.mesh,
                        translation=np.asarray(trs["TRANSLATION"][k], np.float64),
                        rotation=np.asarray(trs["ROTATION"][k], np.float64),
                        scale=np.asarray(trs["SCALE"][k], np.float64),
                    )
                )
            node.children = [*node.children, *range(first, first + count)]
            node.mesh = None

    def _check_size(self, nodes: list[Node]) -> None:
        """Refuse over-limit models from accessor counts, before decoding anything."""
        meshes = self.doc.get("meshes", [])
        tri_per_mesh: list[int] = []
        vertices = 0
        for mesh in meshes:
            tris = 0
            for prim in mesh.get("primitives", []):
                count = self._declared_count(prim)
                tris += count // 3 if prim.get("mode", TRIANGLES) == TRIANGLES else count
                pos = prim.get("attributes", {}).get("POSITION")
                if isinstance(pos, int):
                    vertices += int(item(self.doc, "accessors", pos).get("count", 0))
            tri_per_mesh.append(tris)
        total = sum(
            tri_per_mesh[n.mesh] for n in nodes if n.mesh is not None and n.mesh < len(meshes)
        )
        if total > self.limits.max_triangles:
            raise ModelTooLarge(
                f"the model draws {total:,} triangles; the limit is {self.limits.max_triangles:,}"
            )
        if vertices > self.limits.max_vertices:
            raise ModelTooLarge(
                f"the model has {vertices:,} vertices; the limit is {self.limits.max_vertices:,}"
            )

    def _declared_count(self, prim: dict[str, Any]) -> int:
        acc = prim.get("indices", prim.get("attributes", {}).get("POSITION"))
        if not isinstance(acc, int):
            return 0
        count = item(self.doc, "accessors", acc).get("count", 0)
        return count if isinstance(count, int) else 0

    # -- nodes, skins, animations -------------------------------------------------

    def _node(self, index: int, n: dict[str, Any]) -> Node:
        node = Node(
            name=str(n.get("name", f"node{index}")),
            children=list(n.get("children", [])),
            mesh=n.get("mesh"),
            skin=n.get("skin"),
        )
        if "matrix" in n:
            m = np.array(n["matrix"], dtype=np.float64)
            if m.shape != (16,) or not np.all(np.isfinite(m)):
                raise InvalidModel(f"node {index} has an invalid matrix")
            node.matrix = m.reshape(4, 4).T
        else:
            node.translation = json_vector(n.get("translation", [0, 0, 0]), 3, f"node {index}")
            node.rotation = json_vector(n.get("rotation", [0, 0, 0, 1]), 4, f"node {index}")
            node.scale = json_vector(n.get("scale", [1, 1, 1]), 3, f"node {index}")
        if "weights" in n:
            node.weights = np.array(n["weights"], dtype=np.float32)
        light = n.get("extensions", {}).get("KHR_lights_punctual", {}).get("light")
        if light is not None:
            node.light = int(light)
        return node

    def _skin(self, s: dict[str, Any], n_nodes: int) -> Skin:
        joints = list(s.get("joints", []))
        if not joints or len(joints) > self.limits.max_joints:
            raise UnsupportedModel(f"a skin has {len(joints)} joints (1..{self.limits.max_joints})")
        if any(not isinstance(j, int) or not 0 <= j < n_nodes for j in joints):
            raise InvalidModel("a skin references a missing joint node")
        if "inverseBindMatrices" in s:
            ibm = self.reader.float_accessor(s["inverseBindMatrices"])
            if ibm.shape != (len(joints), 16):
                raise InvalidModel("a skin's inverseBindMatrices do not match its joints")
            mats = ibm.reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)
        else:
            mats = np.tile(np.eye(4), (len(joints), 1, 1))
        return Skin(joints=joints, inverse_bind_matrices=mats)

    def _animation(self, index: int, a: dict[str, Any], nodes: list[Node]) -> Animation:
        samplers = a.get("samplers", [])
        channels: list[Channel] = []
        for ch in a.get("channels", []):
            target = ch.get("target", {})
            node, path = target.get("node"), target.get("path")
            if node is None or path not in ("translation", "rotation", "scale", "weights"):
                continue  # e.g. KHR_animation_pointer targets
            if not isinstance(node, int) or not 0 <= node < len(nodes):
                raise InvalidModel(f"animation {index} targets a missing node")
            sampler = samplers[int_field(ch, "sampler")]
            times = self.reader.float_accessor(int_field(sampler, "input")).reshape(-1)
            values = self.reader.float_accessor(int_field(sampler, "output"))
            interp = sampler.get("interpolation", "LINEAR")
            if interp not in ("LINEAR", "STEP", "CUBICSPLINE"):
                raise InvalidModel(f"animation {index} uses interpolation {interp!r}")
            if not np.all(np.isfinite(times)) or not np.all(np.isfinite(values)):
                raise InvalidModel(f"animation {index} has non-finite keyframes")
            keys = len(times) * (3 if interp == "CUBICSPLINE" else 1)
            if keys == 0 or len(values) % keys:
                raise InvalidModel(f"animation {index} has mismatched input/output counts")
            values = values.reshape(keys, -1)
            channels.append(Channel(node, path, times, values, interp))
        return Animation(name=str(a.get("name", f"animation{index}")), channels=channels)


def _light(index: int, d: dict[str, Any]) -> Light:
    kind = d.get("type")
    if kind not in ("directional", "point", "spot"):
        raise InvalidModel(f"light {index} has type {kind!r}")
    color = json_vector(d.get("color", [1, 1, 1]), 3, f"light {index}")
    intensity = float(d.get("intensity", 1.0))
    light_range = d.get("range")
    if not np.isfinite(intensity) or intensity < 0:
        raise InvalidModel(f"light {index} has an invalid intensity {intensity!r}")
    if light_range is not None and not (np.isfinite(light_range) and light_range > 0):
        raise InvalidModel(f"light {index} has an invalid range {light_range!r}")
    spot = d.get("spot", {})
    inner = float(spot.get("innerConeAngle", 0.0))
    outer = float(spot.get("outerConeAngle", np.pi / 4))
    if kind == "spot" and not 0 <= inner < outer <= np.pi / 2:
        raise InvalidModel(f"light {index} has invalid cone angles ({inner}, {outer})")
    return Light(
        kind=kind,
        color=(float(color[0]), float(color[1]), float(color[2])),
        intensity=intensity,
        range=None if light_range is None else float(light_range),
        inner_cone=inner,
        outer_cone=outer,
    )


def _reachable_mesh(nodes: list[Node], roots: list[int]) -> bool:
    stack = list(roots)
    while stack:
        node = nodes[stack.pop()]
        if node.mesh is not None:
            return True
        stack.extend(node.children)
    return False

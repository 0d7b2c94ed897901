"""glTF 2.0 document → :class:`~renderer.scene.Scene`.

The file is read by :mod:`exchange`'s reader and checked by
:func:`exchange.model_check.check_model` — the reader and the rules of the upload check —
under an :class:`~exchange.limits.AssetLimits` (by default the defaults of the farm's
settings; a worker passes its settings'), so the loader refuses exactly what the upload
refuses, before anything is decoded, with the same message. Here the checked document
becomes a scene: EXT_mesh_gpu_instancing instances become nodes, KHR_node_visibility cuts
hidden subtrees. Meshes are :mod:`renderer.gltf_meshes`', materials
:mod:`renderer.gltf_materials`'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from exchange.animations import clip_names, drawn_channels
from exchange.gltf import GltfContainer
from exchange.instancing import INSTANCING
from exchange.lights import INNER_CONE, LIGHTS, OUTER_CONE, lights
from exchange.limits import AssetLimits
from exchange.model_check import check_model
from exchange.nodes import hidden
from exchange.scene_graph import scene_roots
from exchange.variants import variant_names
from renderer.accessors import BufferReader, json_vector
from renderer.errors import InvalidModel, SceneError
from renderer.extensions import SUPPORTED_EXTENSIONS
from renderer.gltf_materials import MaterialReader
from renderer.gltf_meshes import MeshReader
from renderer.gltf_source import open_source
from renderer.gltf_views import ViewReader
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
            views = ViewReader(container)
            data = check_model(container, limits, SUPPORTED_EXTENSIONS, views.view_blob)
            return _Loader(container, BufferReader(views, data.layouts)).load()
    except SceneError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InvalidModel(f"{path.name} is not valid glTF: {exc!r}") from None


class _Loader:
    def __init__(self, container: GltfContainer, reader: BufferReader) -> None:
        self.container = container
        self.doc = container.document
        self.reader = reader
        self.warnings: list[str] = []
        self.variants = variant_names(self.doc)
        self.materials = MaterialReader(container, self.warnings)
        self.meshes = MeshReader(reader, self.warnings)

    def load(self) -> Scene:
        self._warn_extensions()
        nodes = [self._node(i, n) for i, n in enumerate(self.doc.get("nodes", []))]
        roots = self._hide_invisible(nodes, scene_roots(self.doc))
        self._expand_instances(nodes)
        materials = [self.materials.material(m) for m in self.doc.get("materials", [])]
        meshes = [
            self.meshes.mesh(i, m, materials) for i, m in enumerate(self.doc.get("meshes", []))
        ]
        scene = Scene(
            nodes=nodes,
            roots=roots,
            meshes=meshes,
            materials=materials,
            images=self.materials.images(),
            skins=[self._skin(s) for s in self.doc.get("skins", [])],
            animations=self._animations(),
            warnings=self.warnings,
            source_name=self.container.name,
            lights=[_light(light) for light in lights(self.doc)],
            variants=self.variants,
        )
        if scene.triangle_count == 0 or not _reachable_mesh(nodes, roots):
            raise InvalidModel("the model has no triangle geometry to render")
        return scene

    def _warn_extensions(self) -> None:
        for ext in sorted(set(self.doc.get("extensionsUsed", [])) - SUPPORTED_EXTENSIONS):
            self.warnings.append(f"extension {ext} is not supported and was ignored")

    def _hide_invisible(self, nodes: list[Node], roots: list[int]) -> list[int]:
        """KHR_node_visibility: a node with ``visible: false`` is not drawn, nor is anything
        under it (it is cut from the tree, so framing ignores it too)."""
        gone = {i for i, n in enumerate(self.doc.get("nodes", [])) if hidden(n)}
        if not gone:
            return roots
        for node in nodes:
            node.children = [c for c in node.children if c not in gone]
        return [r for r in roots if r not in gone]

    def _expand_instances(self, nodes: list[Node]) -> None:
        """EXT_mesh_gpu_instancing: each instance becomes a child node drawing the mesh
        with the instance's TRS (in the node's space, as the extension defines), so
        framing, shadows and sorting treat instances like any node."""
        for index, n in enumerate(list(self.doc.get("nodes", []))):
            ext = n.get("extensions", {}).get(INSTANCING)
            node = nodes[index]
            if ext is None or node.mesh is None:
                continue
            if node.skin is not None:
                self.warnings.append(f"node {index}: skinned meshes are drawn once, not instanced")
                continue
            columns = {k: self.reader.float_accessor(a) for k, a in ext["attributes"].items()}
            count = len(next(iter(columns.values())))
            trs = {
                "TRANSLATION": columns.get("TRANSLATION", np.zeros((count, 3))),
                "ROTATION": columns.get("ROTATION", np.tile([0.0, 0.0, 0.0, 1.0], (count, 1))),
                "SCALE": columns.get("SCALE", np.ones((count, 3))),
            }
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

    # -- nodes, skins, animations -------------------------------------------------

    def _node(self, index: int, n: dict[str, Any]) -> Node:
        node = Node(
            name=str(n.get("name", f"node{index}")),
            children=list(n.get("children", [])),
            mesh=n.get("mesh"),
            skin=n.get("skin"),
            light=n.get("extensions", {}).get(LIGHTS, {}).get("light"),
        )
        if "matrix" in n:
            node.matrix = json_vector(n["matrix"]).reshape(4, 4).T
        else:
            node.translation = json_vector(n.get("translation", [0, 0, 0]))
            node.rotation = json_vector(n.get("rotation", [0, 0, 0, 1]))
            node.scale = json_vector(n.get("scale", [1, 1, 1]))
        if "weights" in n:
            node.weights = np.array(n["weights"], dtype=np.float32)
        return node

    def _skin(self, s: dict[str, Any]) -> Skin:
        joints = list(s["joints"])
        if "inverseBindMatrices" in s:
            ibm = self.reader.float_accessor(s["inverseBindMatrices"])
            mats = ibm.reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)
        else:
            mats = np.tile(np.eye(4), (len(joints), 1, 1))
        return Skin(joints=joints, inverse_bind_matrices=mats)

    def _animations(self) -> list[Animation]:
        animations = [Animation(name, []) for name in clip_names(self.doc)]
        for a, target, s in drawn_channels(self.doc):
            sampler = self.doc["animations"][a]["samplers"][s]
            times = self.reader.float_accessor(sampler["input"]).reshape(-1)
            values = self.reader.float_accessor(sampler["output"])
            interp = sampler.get("interpolation", "LINEAR")
            values = values.reshape(len(times) * (3 if interp == "CUBICSPLINE" else 1), -1)
            animations[a].channels.append(
                Channel(target["node"], target["path"], times, values, interp)
            )
        return animations


def _light(d: dict[str, Any]) -> Light:
    spot = d.get("spot", {})
    color = d.get("color", [1.0, 1.0, 1.0])
    return Light(
        kind=d["type"],
        color=(float(color[0]), float(color[1]), float(color[2])),
        intensity=float(d.get("intensity", 1.0)),
        range=float(d["range"]) if "range" in d else None,
        inner_cone=float(spot.get("innerConeAngle", INNER_CONE)),
        outer_cone=float(spot.get("outerConeAngle", OUTER_CONE)),
    )


def _reachable_mesh(nodes: list[Node], roots: list[int]) -> bool:
    stack = list(roots)
    while stack:
        node = nodes[stack.pop()]
        if node.mesh is not None:
            return True
        stack.extend(node.children)
    return False

"""glTF 2.0 document → :class:`~renderer.scene.Scene`.

Reads the JSON by hand (pygltflib would accept the same broken files silently) and checks
what it reads: references in range, node graph acyclic, positions finite, sizes under
:mod:`renderer.limits`. Geometry is converted to float32 triangle lists here so the GPU
side never branches on component types, strips or compression.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from renderer import limits
from renderer.accessors import BufferReader, int_field, item, json_vector
from renderer.errors import InvalidModel, ModelTooLarge, SceneError, UnsupportedModel
from renderer.extensions import SUPPORTED_EXTENSIONS
from renderer.geometry import flat_normals, tangents, unweld
from renderer.gltf_materials import MaterialReader
from renderer.gltf_source import GltfSource, open_source
from renderer.scene import (
    Animation,
    Channel,
    Light,
    Material,
    Mesh,
    MorphTarget,
    Node,
    Primitive,
    Scene,
    Skin,
)

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


def load_scene(path: str | Path) -> Scene:
    """Load a .glb, .gltf (with data: URIs or files beside it) or a .zip holding one glTF.

    Raises a :class:`~renderer.errors.SceneError` subclass whose message says what is
    wrong with the file; unknown but optional extensions only add to ``scene.warnings``.
    """
    source = open_source(path)
    try:
        return _Loader(source).load()
    except SceneError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InvalidModel(f"{source.name} is not valid glTF: {exc!r}") from None


class _Loader:
    def __init__(self, source: GltfSource) -> None:
        self.source = source
        self.doc = source.document
        self.reader = BufferReader(source)
        self.warnings: list[str] = []
        self.materials = MaterialReader(source, self.reader, self.warnings)

    def load(self) -> Scene:
        self._check_extensions()
        roots = self._roots()
        nodes = [self._node(i, n) for i, n in enumerate(self.doc.get("nodes", []))]
        if len(nodes) > limits.MAX_NODES:
            raise ModelTooLarge(
                f"the model has {len(nodes)} nodes; the limit is {limits.MAX_NODES}"
            )
        _check_tree(nodes, roots)
        roots = self._hide_invisible(nodes, roots)
        self._expand_instances(nodes)
        self._check_size(nodes)
        materials = [self.materials.material(m) for m in self.doc.get("materials", [])]
        meshes = [self._mesh(i, m, materials) for i, m in enumerate(self.doc.get("meshes", []))]
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
            source_name=self.source.name,
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
            if len(nodes) + count > limits.MAX_NODES:
                raise ModelTooLarge(f"the model draws more than {limits.MAX_NODES} instances")
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

    def _roots(self) -> list[int]:
        scenes = self.doc.get("scenes")
        n_nodes = len(self.doc.get("nodes", []))
        if scenes:
            index = self.doc.get("scene", 0)
            roots = list(item(self.doc, "scenes", index).get("nodes", []))
        else:
            children = {c for n in self.doc.get("nodes", []) for c in n.get("children", [])}
            roots = [i for i in range(n_nodes) if i not in children]
        for r in roots:
            if not isinstance(r, int) or not 0 <= r < n_nodes:
                raise InvalidModel(f"the scene references a missing node {r!r}")
        return roots

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
        if total > limits.MAX_TRIANGLES:
            raise ModelTooLarge(
                f"the model draws {total:,} triangles; the limit is {limits.MAX_TRIANGLES:,}"
            )
        if vertices > limits.MAX_VERTICES:
            raise ModelTooLarge(
                f"the model has {vertices:,} vertices; the limit is {limits.MAX_VERTICES:,}"
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
        if not joints or len(joints) > limits.MAX_JOINTS:
            raise UnsupportedModel(f"a skin has {len(joints)} joints (1..{limits.MAX_JOINTS})")
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

    # -- meshes ---------------------------------------------------------------------

    def _mesh(self, index: int, m: dict[str, Any], materials: list[Material]) -> Mesh:
        prims: list[Primitive] = []
        for p in m.get("primitives", []):
            mode = p.get("mode", TRIANGLES)
            if mode not in (TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN):
                self.warnings.append(f"mesh {index}: point/line primitives are not drawn")
                continue
            prim = self._primitive(index, p, mode, materials)
            if prim is not None:
                prims.append(prim)
        weights = np.array(m.get("weights", []), dtype=np.float32)
        return Mesh(name=str(m.get("name", f"mesh{index}")), primitives=prims, weights=weights)

    def _primitive(
        self, mesh: int, p: dict[str, Any], mode: int, materials: list[Material]
    ) -> Primitive | None:
        label = f"mesh {mesh}"
        draco = p.get("extensions", {}).get("KHR_draco_mesh_compression")
        indices: np.ndarray | None
        if draco is not None:
            attrs, indices = self._draco(draco, p)
        else:
            attrs = {
                name: self.reader.accessor(acc) for name, acc in p.get("attributes", {}).items()
            }
            indices = (
                self.reader.accessor(p["indices"]).astype(np.int64).reshape(-1)
                if "indices" in p
                else None
            )
        if "POSITION" not in attrs:
            raise InvalidModel(f"{label} has a primitive without POSITION")
        positions = np.asarray(attrs["POSITION"], dtype=np.float32).reshape(-1, 3)
        n = len(positions)
        if not np.all(np.isfinite(positions)):
            raise InvalidModel(f"{label} has NaN or infinite vertex positions")
        if indices is None:
            indices = np.arange(n, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise InvalidModel(f"{label} has indices pointing past its {n} vertices")
        indices = _triangulate(indices, mode)
        if indices.size == 0:
            return None
        arrays: dict[str, np.ndarray] = {"POSITION": positions}
        for name, width in (("NORMAL", 3), ("TANGENT", 4), ("TEXCOORD_0", 2), ("TEXCOORD_1", 2)):
            if name in attrs:
                arrays[name] = _float_attr(attrs[name], n, width, label, name)
        if "COLOR_0" in attrs:
            color = _float_attr(attrs["COLOR_0"], n, None, label, "COLOR_0")
            if color.shape[1] == 3:
                color = np.concatenate([color, np.ones((n, 1), np.float32)], axis=1)
            arrays["COLOR_0"] = color
        if "JOINTS_0" in attrs and "WEIGHTS_0" in attrs:
            arrays["JOINTS_0"] = _float_attr(attrs["JOINTS_0"], n, 4, label, "JOINTS_0")
            arrays["WEIGHTS_0"] = _float_attr(attrs["WEIGHTS_0"], n, 4, label, "WEIGHTS_0")
        targets = self._targets(p, n, label)
        for i, t in enumerate(targets):
            arrays[f"T{i}P"] = t.position
            if t.normal is not None:
                arrays[f"T{i}N"] = t.normal
        if "NORMAL" not in arrays:
            arrays = unweld(arrays, indices)
            indices = np.arange(len(indices), dtype=np.int64)
            arrays["NORMAL"] = flat_normals(arrays["POSITION"], indices)
        normals = arrays["NORMAL"]
        lengths = np.linalg.norm(normals, axis=1, keepdims=True)
        normals = np.where(lengths > 1e-12, normals / np.maximum(lengths, 1e-30), [0.0, 1.0, 0.0])
        material_index = p.get("material")
        if material_index is not None and not 0 <= material_index < len(materials):
            raise InvalidModel(f"{label} references a missing material")
        tangent_array = arrays.get("TANGENT")
        if tangent_array is None and material_index is not None:
            mat = materials[material_index]
            normal_tex = mat.normal_texture or (mat.clearcoat and mat.clearcoat.normal_texture)
            uv = arrays.get(f"TEXCOORD_{normal_tex.tex_coord}") if normal_tex else None
            if uv is None and mat.anisotropy is not None:  # its direction needs a frame
                tex = mat.anisotropy.texture
                uv = arrays.get(f"TEXCOORD_{tex.tex_coord if tex else 0}")
            if uv is not None:
                tangent_array = tangents(arrays["POSITION"], normals, uv, indices)
        return Primitive(
            variants=self._variant_mappings(p, len(materials), label),
            positions=arrays["POSITION"],
            normals=normals.astype(np.float32),
            indices=indices.astype(np.uint32),
            material=material_index,
            tangents=tangent_array,
            uv0=arrays.get("TEXCOORD_0"),
            uv1=arrays.get("TEXCOORD_1"),
            color0=arrays.get("COLOR_0"),
            joints=arrays.get("JOINTS_0"),
            weights=arrays.get("WEIGHTS_0"),
            targets=[
                MorphTarget(position=arrays[f"T{i}P"], normal=arrays.get(f"T{i}N"))
                for i in range(len(targets))
            ],
        )

    def _variant_mappings(self, p: dict[str, Any], n_materials: int, label: str) -> dict[int, int]:
        mappings = p.get("extensions", {}).get("KHR_materials_variants", {}).get("mappings", [])
        n_variants = len(self._variants())
        out: dict[int, int] = {}
        for mapping in mappings:
            material = int_field(mapping, "material")
            if not 0 <= material < n_materials:
                raise InvalidModel(f"{label}: a material variant names a missing material")
            for variant in mapping.get("variants", []):
                if not isinstance(variant, int) or not 0 <= variant < n_variants:
                    raise InvalidModel(f"{label}: a material mapping names a missing variant")
                out[variant] = material
        return out

    def _targets(self, p: dict[str, Any], n: int, label: str) -> list[MorphTarget]:
        targets = p.get("targets", [])
        if len(targets) > limits.MAX_MORPH_TARGETS:
            raise UnsupportedModel(f"{label} has {len(targets)} morph targets (max 64)")
        out = []
        for t in targets:
            zero = np.zeros((n, 3), np.float32)
            pos = (
                _float_attr(self.reader.accessor(t["POSITION"]), n, 3, label, "target")
                if ("POSITION" in t)
                else zero
            )
            nrm = (
                _float_attr(self.reader.accessor(t["NORMAL"]), n, 3, label, "target")
                if "NORMAL" in t
                else None
            )
            if not np.all(np.isfinite(pos)):
                raise InvalidModel(f"{label} has non-finite morph target positions")
            out.append(MorphTarget(position=pos, normal=nrm))
        return out

    def _draco(
        self, draco: dict[str, Any], p: dict[str, Any]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        import DracoPy  # heavy optional codec: imported only for Draco files

        data = bytes(self.reader.view_bytes(int_field(draco, "bufferView"))[0])
        try:
            decoded = DracoPy.decode(data)
        except Exception as exc:  # DracoPy raises its own untyped errors
            raise InvalidModel(f"a Draco-compressed mesh cannot be decoded: {exc}") from None
        attrs: dict[str, np.ndarray] = {}
        for name, unique_id in draco.get("attributes", {}).items():
            attr = decoded.get_attribute_by_unique_id(unique_id)
            if attr is None:
                raise InvalidModel(f"Draco attribute {name} (id {unique_id}) is missing")
            values = np.asarray(attr["data"])
            acc_index = p.get("attributes", {}).get(name)
            if acc_index is not None and item(self.doc, "accessors", acc_index).get("normalized"):
                values = _normalize_ints(values)
            attrs[name] = values
        faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1)
        return attrs, faces


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


def _normalize_ints(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "iu":
        return values
    info = np.iinfo(values.dtype)
    out = values.astype(np.float32) / np.float32(info.max)
    return np.maximum(out, -1.0) if info.min < 0 else out


def _float_attr(values: np.ndarray, n: int, width: int | None, label: str, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float32)
    arr = arr.reshape(len(arr), -1)
    if len(arr) != n or (width is not None and arr.shape[1] != width):
        raise InvalidModel(f"{label}: {name} does not match the vertex count or width")
    if not np.all(np.isfinite(arr)):
        raise InvalidModel(f"{label}: {name} holds NaN or infinite values")
    return np.ascontiguousarray(arr)


def _triangulate(indices: np.ndarray, mode: int) -> np.ndarray:
    if mode == TRIANGLES:
        return indices[: len(indices) - len(indices) % 3]
    if len(indices) < 3:
        return indices[:0]
    k = np.arange(len(indices) - 2)
    if mode == TRIANGLE_STRIP:
        even = k % 2 == 0
        a = indices[k]
        b = np.where(even, indices[k + 1], indices[k + 2])
        c = np.where(even, indices[k + 2], indices[k + 1])
    else:
        a, b, c = np.full_like(k, indices[0]), indices[k + 1], indices[k + 2]
    return np.stack([a, b, c], axis=1).reshape(-1)


def _check_tree(nodes: list[Node], roots: list[int]) -> None:
    """Every node has at most one parent and the graph has no cycles."""
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for c in node.children:
            if not isinstance(c, int) or not 0 <= c < len(nodes):
                raise InvalidModel(f"node {i} has a missing child {c!r}")
            if c in parent or c == i:
                raise InvalidModel(
                    f"node {c} has more than one parent (the node graph has a cycle)"
                )
            parent[c] = i
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in seen:
            raise InvalidModel("the node hierarchy has a cycle")
        seen.add(i)
        stack.extend(nodes[i].children)
    for r in roots:
        if r in parent:
            raise InvalidModel(f"scene root {r} is also a child of another node")


def _reachable_mesh(nodes: list[Node], roots: list[int]) -> bool:
    stack = list(roots)
    while stack:
        node = nodes[stack.pop()]
        if node.mesh is not None:
            return True
        stack.extend(node.children)
    return False

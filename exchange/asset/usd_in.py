"""USD (.usd, .usda, .usdc, .usdz) → :class:`~exchange.asset.model.Asset`, through usd-core.

OpenUSD composes the stage (references, payloads, variants, instancing); the asset is what
that composed stage draws under its default prim (else every root): each imageable prim a
node with its local transform (Gf matrices are row-vector: transposed here), each Mesh
read by :mod:`exchange.asset.usd_mesh`, each bound UsdPreviewSurface by
:mod:`exchange.asset.usd_materials`, a mesh with no material but a constant
``displayColor`` given that colour. Invisible prims and guide/proxy purposes are not
drawn. Values are read at the earliest time (the default value when a property has no
time samples), so an animated file gives its first frame and a skinned one its rest pose.
``upAxis`` and ``metersPerUnit`` (OpenUSD's fallback when unauthored: centimetres) become
the asset's. A prim that resets the transform stack keeps its world placement. Before
the stage is composed its layers are walked arc by arc and each is opened only if it
belongs to the upload (:class:`~exchange.asset.usd_files.Upload`: a USDZ its own
entries, other files their folder); the layers the stage used are checked again.
Implicit shapes (Cube, Sphere …), point instancers, curves and points are not
tessellated: a file with no drawable Mesh (e.g. a Draco-compressed one, which usd-core
reads as a mesh without points) is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset.model import Asset, Material, Mesh, Node
from exchange.asset.usd_files import Upload
from exchange.asset.usd_materials import read_material
from exchange.asset.usd_mesh import mesh_primitives, triangle_count
from exchange.asset.usd_shapes import SHAPES, shape_primitive
from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.gltf import check_file_size
from exchange.limits import AssetLimits

UNEXPANDED = ("PointInstancer",)


def read_usd_asset(path: Path, limits: AssetLimits) -> Asset:
    check_file_size(path, limits)
    upload = Upload(path, limits)
    stage = _open(path, upload)
    from pxr import Tf, UsdGeom

    try:
        asset = _Reader(stage, upload, limits).asset()
    except Tf.ErrorException:
        raise AssetInvalid("the USD file holds data OpenUSD cannot read") from None
    asset.up_axis = "Z" if UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z else "Y"
    meters = float(UsdGeom.GetStageMetersPerUnit(stage))
    if not np.isfinite(meters) or meters <= 0:
        raise AssetInvalid("the USD file's metersPerUnit is not a positive number")
    asset.meters_per_unit = meters
    return asset


def _open(path: Path, upload: Upload) -> Any:
    from pxr import Tf, Usd

    try:
        layers = upload.layers()  # refuses a path leading out before anything is opened there
        stage = Usd.Stage.Open(layers[0] if layers else str(path), Usd.Stage.LoadAll)
    except Tf.ErrorException:
        raise AssetInvalid("the file is not a USD stage OpenUSD can open") from None
    if not stage:
        raise AssetInvalid("the file is not a USD stage OpenUSD can open")
    for layer in stage.GetUsedLayers():
        if not layer.anonymous and not upload.owns_layer(layer.realPath):
            raise AssetInvalid("the USD file refers to a layer outside the upload")
    errors = stage.GetCompositionErrors()
    if errors:
        raise AssetInvalid(
            f"the USD file does not compose: {len(errors)} reference(s), payload(s) or "
            "sublayer(s) cannot be opened or are invalid"
        )
    return stage


class _Reader:
    def __init__(self, stage: Any, upload: Upload, limits: AssetLimits) -> None:
        from pxr import Usd

        self.stage, self.upload, self.limits = stage, upload, limits
        self.time = Usd.TimeCode.EarliestTime()
        self.nodes: list[Node] = []
        self.meshes: list[Mesh] = []
        self.materials: list[Material] = []
        self._mesh_of: dict[str, int] = {}
        self._material_of: dict[str, int | None] = {}
        self._triangles = 0
        self._unexpanded = 0

    def asset(self) -> Asset:
        top = self.stage.GetDefaultPrim()
        starts = [top] if top else list(self.stage.GetPseudoRoot().GetChildren())
        roots = [i for p in starts if (i := self._walk(p)) is not None]
        if not any(p.indices.size for m in self.meshes for p in m.primitives):
            if self._unexpanded:
                raise AssetInvalid(
                    "the USD file holds only point instancers, which are not expanded yet: "
                    "export them as meshes"
                )
            raise AssetInvalid(
                "the USD file holds no drawable mesh: no Mesh with points and faces (a "
                "Draco-compressed mesh reads as one without points and cannot be converted)"
            )
        return Asset(self.nodes, roots, self.meshes, self.materials)

    def _walk(self, top: Any) -> int | None:
        """Nodes for ``top`` and the imageable prims below it; returns ``top``'s index."""
        from pxr import Usd, UsdGeom

        index_of: dict[str, int] = {}
        prims = iter(Usd.PrimRange(top, Usd.TraverseInstanceProxies()))
        for prim in prims:
            if not self._drawable(prim):
                prims.PruneChildren()
                continue
            if len(self.nodes) >= self.limits.max_nodes:
                raise AssetTooLarge(f"the USD file has more than {self.limits.max_nodes:,} prims")
            node = Node(prim.GetName(), self._matrix(prim))
            if prim.IsA(UsdGeom.Mesh):
                node.mesh = self._mesh(prim)
            elif prim.GetTypeName() in SHAPES:
                node.mesh = self._shape(prim)
            elif prim.GetTypeName() in UNEXPANDED:
                self._unexpanded += 1
            index_of[str(prim.GetPath())] = len(self.nodes)
            self.nodes.append(node)
            parent = index_of.get(str(prim.GetParent().GetPath()))
            if parent is not None and prim != top:
                self.nodes[parent].children.append(index_of[str(prim.GetPath())])
        return index_of.get(str(top.GetPath()))

    def _drawable(self, prim: Any) -> bool:
        from pxr import UsdGeom

        if not prim.IsA(UsdGeom.Imageable):
            return prim.GetTypeName() == ""  # a typeless "def" groups prims; a Material does not
        imageable = UsdGeom.Imageable(prim)
        if imageable.GetVisibilityAttr().Get(self.time) == UsdGeom.Tokens.invisible:
            return False
        purpose = imageable.GetPurposeAttr().Get(self.time)
        return purpose not in (UsdGeom.Tokens.guide, UsdGeom.Tokens.proxy)

    def _matrix(self, prim: Any) -> np.ndarray:
        from pxr import UsdGeom

        if not prim.IsA(UsdGeom.Xformable):
            return np.eye(4)
        xformable = UsdGeom.Xformable(prim)
        matrix = np.array(xformable.GetLocalTransformation(self.time)).T
        if xformable.GetResetXformStack():  # world = local: undo what the parents apply
            parent = UsdGeom.Imageable(prim.GetParent())
            above = parent.ComputeLocalToWorldTransform(self.time) if parent else None
            if above is not None:
                matrix = np.linalg.inv(np.array(above).T) @ matrix
        if not np.isfinite(matrix).all():
            raise AssetInvalid(f"the prim {prim.GetName()!r} has a transform that is not finite")
        return matrix

    def _mesh(self, prim: Any) -> int | None:
        """The mesh index for ``prim`` (instances of one prototype share it)."""
        key = str(prim.GetPrimInPrototype().GetPath() if prim.IsInstanceProxy() else prim.GetPath())
        if key not in self._mesh_of:
            self._triangles += triangle_count(prim, self.time)
            if self._triangles > self.limits.max_triangles:
                raise AssetTooLarge(
                    f"the USD file has more than {self.limits.max_triangles:,} triangles"
                )
            primitives = mesh_primitives(prim, self.time, self._bound, self.limits.max_vertices)
            vertices = sum(len(p.positions) for m in self.meshes for p in m.primitives)
            if vertices + sum(len(p.positions) for p in primitives) > self.limits.max_vertices:
                raise AssetTooLarge(
                    f"the USD file has more than {self.limits.max_vertices:,} vertices"
                )
            self.meshes.append(Mesh(prim.GetName(), primitives))
            self._mesh_of[key] = len(self.meshes) - 1
        return self._mesh_of[key]

    def _shape(self, prim: Any) -> int | None:
        """The mesh index for an implicit shape, tessellated (:mod:`usd_shapes`)."""
        primitive = shape_primitive(prim, self.time)
        if primitive is None:
            return None
        self._triangles += len(primitive.indices)
        if self._triangles > self.limits.max_triangles:
            raise AssetTooLarge(
                f"the USD file has more than {self.limits.max_triangles:,} triangles"
            )
        primitive.material = self._bound(prim)
        self.meshes.append(Mesh(prim.GetName(), [primitive]))
        return len(self.meshes) - 1

    def _bound(self, prim: Any) -> int | None:
        """The material index for ``prim`` (a Mesh or a GeomSubset): its preview binding,
        else its all-purpose one; instances share their prototype's material."""
        from pxr import UsdGeom, UsdShade

        binding = UsdShade.MaterialBindingAPI(prim)
        material = binding.ComputeBoundMaterial(UsdShade.Tokens.preview)[0]
        if material:
            bound = material.GetPrim()
            key = str((bound.GetPrimInPrototype() if bound.IsInstanceProxy() else bound).GetPath())
            if key not in self._material_of:
                self._add(read_material(material, self.upload), key)
            return self._material_of[key]
        if not prim.IsA(UsdGeom.Gprim):
            return None
        colour = UsdGeom.PrimvarsAPI(prim).GetPrimvar("displayColor")
        if not colour or colour.GetInterpolation() != UsdGeom.Tokens.constant:
            return None
        value = colour.ComputeFlattened(self.time)
        colours = np.asarray(value if value is not None else [], dtype=np.float64)
        if colours.ndim != 2 or colours.shape[1] != 3 or not np.isfinite(colours[:1]).all():
            return None
        rgb = tuple(float(c) for c in colours[0])
        opacity = UsdGeom.PrimvarsAPI(prim).GetPrimvar("displayOpacity")
        alphas = opacity.ComputeFlattened(self.time) if opacity else None
        alphas = np.asarray(alphas if alphas is not None else [], dtype=np.float64).reshape(-1)
        alpha = float(alphas[0]) if len(alphas) and np.isfinite(alphas[0]) else 1.0
        key = f"displayColor {rgb} {alpha}"
        if key not in self._material_of:
            base = (rgb[0], rgb[1], rgb[2], alpha)
            self._add(Material(name="displayColor", base_color=base, metallic=0.0), key)
        return self._material_of[key]

    def _add(self, material: Material, key: str) -> None:
        self.materials.append(material)
        self._material_of[key] = len(self.materials) - 1

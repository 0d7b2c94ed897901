""":class:`~exchange.asset.model.Asset` → USD: ``usda`` (text), ``usdc`` (crate) or
``usdz`` (an ARKit package).

One stage, Y-up, ``metersPerUnit = 1`` (the asset comes normalised to glTF's Y-up metres,
:func:`exchange.asset.transform.normalised`), its default prim the Xform ``/Root``
(kind ``component``). Each node is an Xform (names made valid identifiers, unique among
their siblings; a local transform as one ``xformOp:transform``, transposed to Gf's
row-vector matrices); each primitive it draws a Mesh child with points, triangles,
vertex normals, a vertex ``st`` primvar (v flipped back to USD's v-up), ``extent`` and
its material bound. Materials are UsdPreviewSurface under ``/Root/Materials`` (see
:mod:`exchange.asset.usd_materials_out`).

Files written:

- ``usda``/``usdc``: the layer at ``path`` and, when the asset has textures,
  ``textures/texture_<n>.png|jpg`` beside it (the layer refers to them by relative path;
  whoever ships the layer ships that folder too).
- ``usdz``: the package at ``path`` only; it is built from a ``.usdc`` and its textures in
  a temporary folder by ``UsdUtils.CreateNewARKitUsdzPackage``, so every file is inside
  the package, stored uncompressed and 64-byte aligned as the USDZ spec requires.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset.model import Asset, Mesh, Primitive, world_points
from exchange.asset.usd_materials_out import TEXTURES, MaterialWriter, texture_names, unique_name
from exchange.errors import AssetInvalid

ROOT = "/Root"


def write_usd(asset: Asset, path: Path, target: str) -> None:
    """``target``: ``usda``, ``usdc`` or ``usdz`` (see the module's docstring)."""
    if target == "usdz":
        _write_usdz(asset, path)
        return
    if path.suffix.lower() == f".{target}":
        _write_layer(asset, path)
        return
    # OpenUSD picks a layer's format by its suffix: write one that says it, then rename
    staged = path.with_name(f".{path.name}.{target}")
    _write_layer(asset, staged)
    staged.replace(path)


def _write_usdz(asset: Asset, path: Path) -> None:
    from pxr import Sdf, Tf, UsdUtils

    with tempfile.TemporaryDirectory(prefix="meshfarm-usdz-") as tmp:
        layer = Path(tmp) / "model.usdc"
        _write_layer(asset, layer)
        try:
            ok = UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(path))
        except Tf.ErrorException:
            ok = False
        if not ok:
            raise AssetInvalid("the USDZ package could not be written")


def _write_layer(asset: Asset, path: Path) -> None:
    from pxr import Gf, Kind, Usd, UsdGeom, UsdShade

    names = texture_names(asset)
    if names:
        (path.parent / TEXTURES).mkdir(exist_ok=True)
        for data, name in names.items():
            (path.parent / TEXTURES / name).write_bytes(data)
    stage = Usd.Stage.CreateInMemory()  # exported below: a layer still open at path is no obstacle
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, ROOT).GetPrim()
    stage.SetDefaultPrim(root)
    Usd.ModelAPI(root).SetKind(Kind.Tokens.component)
    materials = MaterialWriter(stage, f"{ROOT}/Materials", names).write(asset.materials)
    siblings: dict[str, set[str]] = {ROOT: {"Materials"}}

    stack = [(r, ROOT) for r in reversed(asset.roots)]  # a stack, not recursion: any depth
    while stack:
        i, parent = stack.pop()
        node = asset.nodes[i]
        prim_path = (
            f"{parent}/{unique_name(node.name or 'node', siblings.setdefault(parent, set()))}"
        )
        xform = UsdGeom.Xform.Define(stage, prim_path)
        if not np.allclose(node.matrix, np.eye(4)):
            xform.AddTransformOp().Set(Gf.Matrix4d(np.asarray(node.matrix, np.float64).T.tolist()))
        drawn = asset.meshes[node.mesh] if node.mesh is not None else Mesh("", [])
        for prim in drawn.primitives:
            if not len(prim.indices):
                continue
            name = unique_name(drawn.name or "mesh", siblings.setdefault(prim_path, set()))
            mesh = _mesh(stage, f"{prim_path}/{name}", prim)
            if prim.material is not None:
                UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(materials[prim.material])
        stack.extend((c, prim_path) for c in reversed(node.children))
    if not stage.GetRootLayer().Export(str(path)):
        raise AssetInvalid("the USD layer could not be written")


def _mesh(stage: Any, prim_path: str, prim: Primitive) -> Any:
    from pxr import Sdf, UsdGeom, Vt

    mesh = UsdGeom.Mesh.Define(stage, prim_path)
    points = np.ascontiguousarray(prim.positions, np.float32)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(prim.indices), 3, np.int32)))
    mesh.CreateFaceVertexIndicesAttr(
        Vt.IntArray.FromNumpy(np.ascontiguousarray(prim.indices.reshape(-1), np.int32))
    )
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    box = world_points(np.eye(4), points)
    mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([box.min(0), box.max(0)])))
    if prim.normals is not None:
        mesh.CreateNormalsAttr(
            Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(prim.normals, np.float32))
        )
        mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    if prim.uvs is not None:
        uv = np.ascontiguousarray(prim.uvs, np.float32).copy()
        uv[:, 1] = 1.0 - uv[:, 1]
        st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
            "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
        )
        st.Set(Vt.Vec2fArray.FromNumpy(uv))
    return mesh

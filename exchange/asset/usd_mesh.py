"""One ``UsdGeom.Mesh`` → triangle :class:`~exchange.asset.model.Primitive` s.

Polygons are fan-triangulated (holes dropped, faces of fewer than 3 corners skipped);
``orientation = "leftHanded"`` flips the winding so front faces stay front in glTF's
right-handed convention. Normals and the first texture coordinate primvar (``st``, else
any ``texCoord2f``) may be constant, uniform, vertex or faceVarying: every triangle corner
gets its values and corners that agree on point, normal and UV share one vertex. UVs are
flipped to glTF's v-down. Faces in a ``materialBind`` GeomSubset with a material of its
own become a primitive of their own; the rest keep the mesh's binding. The caller gives
``material_of`` (a prim → a material index or None). A skinned mesh is read in its
skeleton's rest pose, where OpenUSD draws it (:mod:`exchange.asset.usd_skin`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from exchange.asset.model import Primitive
from exchange.asset.usd_skin import rest_pose
from exchange.errors import AssetInvalid, AssetTooLarge

MaterialOf = Callable[[Any], "int | None"]


def mesh_primitives(
    prim: Any, time: Any, material_of: MaterialOf, max_points: int
) -> list[Primitive]:
    """The primitives of the mesh at ``prim`` ([] for a mesh with nothing to draw)."""
    from pxr import UsdGeom

    mesh = UsdGeom.Mesh(prim)
    points = _array(mesh.GetPointsAttr().Get(time), np.float64)
    if points is not None and len(points) > max_points:
        raise AssetTooLarge(f"the mesh {prim.GetName()!r} has more than {max_points:,} points")
    counts = _array(mesh.GetFaceVertexCountsAttr().Get(time), np.int64)
    indices = _array(mesh.GetFaceVertexIndicesAttr().Get(time), np.int64)
    if points is None or counts is None or indices is None or not len(points) or not len(counts):
        return []
    name = prim.GetName()
    if points.ndim != 2 or points.shape[1] != 3 or not np.isfinite(points).all():
        raise AssetInvalid(f"the mesh {name!r} has points that are not finite 3-D vectors")
    if (counts < 0).any() or counts.sum() != len(indices):
        raise AssetInvalid(f"the mesh {name!r} has face counts that do not match its indices")
    if len(indices) and (indices.min() < 0 or indices.max() >= len(points)):
        raise AssetInvalid(f"the mesh {name!r} has faces that point past its points")
    points, normal_matrices = rest_pose(prim, points, time)
    corners, faces = _fan(counts, _holes(mesh, time, len(counts)))
    if mesh.GetOrientationAttr().Get(time) == UsdGeom.Tokens.leftHanded:
        corners = corners[:, ::-1]
    normals = _corner_values(prim, "normals", mesh, indices, counts, time)
    uvs = _corner_values(prim, _uv_name(prim), mesh, indices, counts, time)
    out = []
    for material, tris in _groups(prim, mesh, faces, material_of):
        out.append(
            _primitive(points, indices, corners[tris], normals, uvs, material, normal_matrices)
        )
    return out


def triangle_count(prim: Any, time: Any) -> int:
    """Triangles the mesh will give (for the limit, before any array is built)."""
    from pxr import UsdGeom

    counts = _array(UsdGeom.Mesh(prim).GetFaceVertexCountsAttr().Get(time), np.int64)
    return 0 if counts is None else int(np.clip(counts - 2, 0, None).sum())


def _array(value: Any, dtype: Any) -> np.ndarray | None:
    return None if value is None else np.asarray(value, dtype=dtype)


def _holes(mesh: Any, time: Any, faces: int) -> np.ndarray:
    holes = _array(mesh.GetHoleIndicesAttr().Get(time), np.int64)
    keep = np.ones(faces, bool)
    if holes is not None and len(holes):
        keep[holes[(holes >= 0) & (holes < faces)]] = False
    return keep


def _fan(counts: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles as corner (face-vertex) indices, (m, 3), and the face each came from."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tris_per_face = np.where(keep, np.clip(counts - 2, 0, None), 0)
    faces = np.repeat(np.arange(len(counts)), tris_per_face)
    first = np.repeat(starts, tris_per_face)
    offset = np.arange(len(faces)) - np.repeat(
        np.cumsum(tris_per_face) - tris_per_face, tris_per_face
    )
    corners = np.stack([first, first + offset + 1, first + offset + 2], axis=1)
    return corners, faces


def _uv_name(prim: Any) -> str | None:
    from pxr import Sdf, UsdGeom

    primvars = UsdGeom.PrimvarsAPI(prim)
    if primvars.HasPrimvar("st"):
        return "st"
    for pv in primvars.GetPrimvars():
        if pv.GetTypeName() in (Sdf.ValueTypeNames.TexCoord2fArray, Sdf.ValueTypeNames.Float2Array):
            return str(pv.GetPrimvarName())
    return None


Corners = tuple[np.ndarray, np.ndarray]
"""An attribute as (distinct values, the value index of every face-vertex corner)."""


def _corner_values(
    prim: Any, name: str | None, mesh: Any, indices: np.ndarray, counts: np.ndarray, time: Any
) -> Corners | None:
    """The primvar (or, for normals, the ``normals`` attribute) per face-vertex corner.

    Kept as indices into the values so that corners are matched as integers: a vertex
    primvar's corners share their point's value, a faceVarying one's share equal values."""
    from pxr import UsdGeom

    if name is None:
        return None
    primvar = UsdGeom.PrimvarsAPI(prim).GetPrimvar(name)
    own: np.ndarray | None = None
    if primvar and primvar.HasValue():
        values, interpolation = primvar.Get(time), primvar.GetInterpolation()
        if primvar.IsIndexed():
            own = _array(primvar.GetIndices(time), np.int64)
    elif name == "normals":
        values, interpolation = mesh.GetNormalsAttr().Get(time), mesh.GetNormalsInterpolation()
    else:
        return None
    if values is None or not len(values):
        return None
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] < (3 if name == "normals" else 2):
        return None
    if not np.isfinite(data).all():
        return None
    if own is not None:  # an indexed primvar: its indices say which value each element takes
        if own.min(initial=0) < 0 or own.max(initial=-1) >= len(data):
            return None
        elements = own
    else:
        elements = np.arange(len(data))
    if interpolation == UsdGeom.Tokens.constant:
        return data, np.zeros(len(indices), np.int64)
    if interpolation == UsdGeom.Tokens.uniform and len(elements) == len(counts):
        return data, elements[np.repeat(np.arange(len(counts)), counts)]
    if interpolation in (UsdGeom.Tokens.vertex, UsdGeom.Tokens.varying):
        return (data, elements[indices]) if len(elements) > indices.max(initial=-1) else None
    if interpolation == UsdGeom.Tokens.faceVarying and len(elements) == len(indices):
        if own is None:  # one value per corner: equal values are one
            data, elements = np.unique(data, axis=0, return_inverse=True)
            elements = elements.reshape(-1)
        return data, elements
    return None


def _groups(
    prim: Any, mesh: Any, faces: np.ndarray, material_of: MaterialOf
) -> list[tuple[int | None, np.ndarray]]:
    """(material, triangle numbers) per GeomSubset with a material, then the rest."""
    from pxr import UsdShade

    owner = np.full(int(faces.max(initial=-1)) + 1, -1)
    materials: list[int | None] = []
    for subset in UsdShade.MaterialBindingAPI(mesh.GetPrim()).GetMaterialBindSubsets():
        ids = np.asarray(subset.GetIndicesAttr().Get() or [], dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(owner))]
        if len(ids):
            owner[ids] = len(materials)
            materials.append(material_of(subset.GetPrim()))
    tri_owner = owner[faces] if len(faces) else np.zeros(0, np.int64)
    base = material_of(prim)
    groups = [(base, np.flatnonzero(tri_owner == -1))]
    groups += [(m, np.flatnonzero(tri_owner == i)) for i, m in enumerate(materials)]
    merged: dict[int | None, list[np.ndarray]] = {}
    for m, tris in groups:
        if len(tris):
            merged.setdefault(m, []).append(tris)
    return [(m, np.sort(np.concatenate(parts))) for m, parts in merged.items()]


def _primitive(
    points: np.ndarray,
    indices: np.ndarray,
    tris: np.ndarray,
    normals: Corners | None,
    uvs: Corners | None,
    material: int | None,
    normal_matrices: np.ndarray | None,
) -> Primitive:
    """One vertex per distinct (point, normal, uv) among the triangles' corners; a skinned
    vertex's normal turned by its point's ``normal_matrices`` (points × 3 × 3)."""
    used = tris.reshape(-1)
    key = indices[used]
    sources = [key]
    for attr in (normals, uvs):
        if attr is not None:
            column = attr[1][used]
            _, key = np.unique(key * (int(column.max(initial=0)) + 1) + column, return_inverse=True)
            sources.append(column)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    prim = Primitive(
        points[sources[0][first]].astype(np.float32), inverse.reshape(-1, 3).astype(np.uint32)
    )
    rest = iter(sources[1:])
    if normals is not None:
        n = normals[0][next(rest)[first], :3]
        if normal_matrices is not None:
            n = np.einsum("vij,vj->vi", normal_matrices[sources[0][first]], n.astype(np.float64))
        length = np.linalg.norm(n, axis=1, keepdims=True)
        prim.normals = (n / np.where(length > 0, length, 1)).astype(np.float32)
    if uvs is not None:
        uv = uvs[0][next(rest)[first], :2].astype(np.float32)
        uv[:, 1] = 1.0 - uv[:, 1]
        prim.uvs = uv
    prim.material = material
    return prim

"""A UsdSkel-skinned mesh in its skeleton's rest pose, as OpenUSD draws it.

The counterpart of :mod:`exchange.asset.skinning` for glTF: the pose without any
animation. OpenUSD skins a mesh in its skeleton's space, each point
``Σ weight × geomBindTransform × inverse(bind(joint)) × rest(joint)`` (row vectors, the
joints' skeleton-space transforms), and draws the result with the Skeleton's world
transform, not the mesh's own. A skeleton whose rest transforms differ from its bind
transforms therefore moves the mesh away from its authored points. Reading those points as
they are would draw, collide and weigh a mesh the file never shows. Here each point gets
its blended matrix, carried into the mesh prim's own space (the asset places the mesh by
that prim's world transform). Normals get the inverse transpose of the same matrices.
A mesh without a SkelRoot, a bound Skeleton or joint influences is drawn as authored,
put in bind space by ``skel:geomBindTransform`` alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SAME_POSE = 1e-6
"""Rest transforms this close to the bind transforms leave the points as authored: float
noise (CesiumMan.usdz's are 5·10⁻⁷ apart) is not a pose."""

Skinned = tuple[np.ndarray, np.ndarray | None]
"""The points in the mesh prim's space, and per point the 3×3 (column-vector) matrix its
normals take, or None when the skeleton leaves the mesh where its points say."""


def rest_pose(prim: Any, points: np.ndarray, time: Any) -> Skinned:
    """``points`` (the mesh's authored points) where OpenUSD draws them at rest."""
    matrices = _point_matrices(prim, len(points), time)
    if matrices is None:
        return _bind_space(prim, points, time), None
    if np.allclose(matrices, np.eye(4), rtol=0, atol=SAME_POSE):
        return points, None
    moved = np.einsum("pi,pij->pj", np.c_[points, np.ones(len(points))], matrices)[:, :3]
    # A point goes p·A (row vectors); its normal n·inverse(A)ᵀ, i.e. inverse(A)·n.
    return moved, np.linalg.inv(matrices[:, :3, :3])


def _point_matrices(prim: Any, count: int, time: Any) -> np.ndarray | None:
    """(points, 4, 4) row-vector matrices from authored to the prim's space, or None."""
    from pxr import Usd, UsdGeom, UsdSkel

    root = UsdSkel.Root.Find(prim)
    skeleton = UsdSkel.BindingAPI(prim).GetInheritedSkeleton()
    if not root or not skeleton:
        return None
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.TraverseInstanceProxies())
    skinning = cache.GetSkinningQuery(prim)
    skel = cache.GetSkelQuery(skeleton)
    if not skinning or not skel:
        return None
    order = [str(j) for j in skel.GetJointOrder()]
    rest = _matrices(skel.ComputeJointSkelTransforms(time, True))
    bind = _matrices(skel.GetJointWorldBindTransforms())
    if len(rest) != len(order) or len(bind) != len(order):
        return None
    joints = np.linalg.inv(bind) @ rest
    own = skinning.GetJointOrder()
    if own:  # the mesh's skel:joints: its influences index these, not the skeleton's
        where = {name: i for i, name in enumerate(order)}
        if any(str(j) not in where for j in own):
            return None
        joints = joints[[where[str(j)] for j in own]]
    influences = skinning.ComputeJointInfluences(time)
    if not influences:
        return None
    per = skinning.GetNumInfluencesPerComponent()
    index = np.asarray(influences[0], np.int64).reshape(-1, per)
    weight = np.asarray(influences[1], np.float64).reshape(-1, per)
    if skinning.IsRigidlyDeformed():
        index, weight = np.repeat(index, count, 0), np.repeat(weight, count, 0)
    if len(index) != count or index.min(initial=0) < 0 or index.max(initial=0) >= len(joints):
        return None
    blended = np.einsum("pk,pkij->pij", weight, joints[index])
    geom_bind = np.array(skinning.GetGeomBindTransform(time), np.float64)
    skel_world = UsdGeom.Xformable(skeleton.GetPrim()).ComputeLocalToWorldTransform(time)
    mesh_world = UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(time)
    to_prim = np.array(skel_world, np.float64) @ np.linalg.inv(np.array(mesh_world, np.float64))
    return np.asarray(geom_bind @ blended @ to_prim)


def _matrices(values: Any) -> np.ndarray:
    return np.array([np.array(m, np.float64) for m in values]).reshape(-1, 4, 4)


def _bind_space(prim: Any, points: np.ndarray, time: Any) -> np.ndarray:
    from pxr import UsdGeom

    primvar = UsdGeom.PrimvarsAPI(prim).GetPrimvar("skel:geomBindTransform")
    value = primvar.Get(time) if primvar else None
    if value is None:
        return points
    matrix = np.array(value, dtype=np.float64).T  # Gf matrices are row-vector
    if np.allclose(matrix, np.eye(4)):
        return points
    return points @ matrix[:3, :3].T + matrix[:3, 3]

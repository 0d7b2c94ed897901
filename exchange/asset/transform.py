"""The conversion options ``y_up`` and ``root_xform``, as USD Refinery names them.

The seed defines ``y_up`` as "Force Y-up orientation (default: true)" and ``root_xform``
as "Apply root transform fix (default: true)". Here that means exactly:

- ``y_up``: a source whose ``up_axis`` is ``"Z"`` (STL, PLY and most CAD exports) is
  rotated −90° about X, so its +Z becomes +Y and +Y becomes −Z (right-handed, as glTF and
  ARKit expect), and every length is scaled by ``meters_per_unit`` so the output is in
  metres; the asset then says ``up_axis="Y"``, ``meters_per_unit=1``. A Y-up source is
  only scaled. Off: the numbers are written as the source has them.
- ``root_xform``: each root node's transform (with the axis and unit change above) is
  baked into its own mesh's vertices and into its children's transforms, so every root
  is the identity; then the whole asset is moved (translation only) so that the centre of
  its world bounding box's base — x and z at the box's centre, y at its lowest point — is
  the origin. Off: the roots keep their transforms (the axis change, if any, is composed
  into them) and the asset stays where it was.
"""

from __future__ import annotations

import copy

import numpy as np

from exchange.asset.model import Asset, Primitive, world_points

Z_TO_Y = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=np.float64)


def bounds(asset: Asset) -> np.ndarray | None:
    """The world bounding box as [[min xyz], [max xyz]] (None: no vertices)."""
    boxes = [
        (world_points(m, p.positions).min(0), world_points(m, p.positions).max(0))
        for m, p in asset.placed()
        if len(p.positions)
    ]
    if not boxes:
        return None
    return np.array([np.min([b[0] for b in boxes], 0), np.max([b[1] for b in boxes], 0)])


def normalised(asset: Asset, *, y_up: bool = True, root_xform: bool = True) -> Asset:
    """A copy of ``asset`` with the options applied (the input is not changed)."""
    out = copy.deepcopy(asset)
    fix = np.eye(4)
    if y_up:
        fix = np.diag([out.meters_per_unit] * 3 + [1.0])
        if out.up_axis == "Z":
            fix = Z_TO_Y @ fix
        out.up_axis, out.meters_per_unit = "Y", 1.0
    if not root_xform:
        for r in out.roots:
            out.nodes[r].matrix = fix @ out.nodes[r].matrix
        return out
    for r in out.roots:
        _bake_root(out, r, fix)
    box = bounds(out)
    if box is not None:
        base = np.array([(box[0, 0] + box[1, 0]) / 2, box[0, 1], (box[0, 2] + box[1, 2]) / 2])
        shift = np.eye(4)
        shift[:3, 3] = -base
        for r in out.roots:
            _bake_root(out, r, shift)
    return out


def _bake_root(asset: Asset, r: int, fix: np.ndarray) -> None:
    root = asset.nodes[r]
    m = fix @ root.matrix
    if root.mesh is not None:
        mesh = copy.deepcopy(asset.meshes[root.mesh])
        mesh.primitives = [transformed(p, m) for p in mesh.primitives]
        asset.meshes.append(mesh)
        root.mesh = len(asset.meshes) - 1
    for c in root.children:
        asset.nodes[c].matrix = m @ asset.nodes[c].matrix
    root.matrix = np.eye(4)


def transformed(prim: Primitive, m: np.ndarray) -> Primitive:
    """``prim`` with matrix ``m`` applied to its vertices (normals by the inverse
    transpose, renormalised; a mirroring matrix flips the winding to keep faces outward)."""
    normals = None
    if prim.normals is not None:
        n = prim.normals.astype(np.float64) @ np.linalg.inv(m[:3, :3])
        length = np.linalg.norm(n, axis=1, keepdims=True)
        normals = (n / np.where(length > 0, length, 1)).astype(np.float32)
    indices = prim.indices[:, ::-1].copy() if np.linalg.det(m[:3, :3]) < 0 else prim.indices
    return Primitive(world_points(m, prim.positions), indices, normals, prim.uvs, prim.material)

"""The SimReady USD: the asset's visual USD with UsdPhysics added, laid out as NVIDIA's
SimReady Robotics-Prop profile asks, so Isaac Sim (or any UsdPhysics reader) drops it
into a scene as one rigid body.

The visual part is :func:`exchange.asset.write_usd` (one writer for every USD meshfarm
makes); the asset arrives in the SimReady frame (:mod:`physics.frame`), so only the
stage's ``upAxis`` changes to Z. Then, on the default prim ``/Root``:

- ``PhysicsRigidBodyAPI`` and ``PhysicsMassAPI`` (mass, centre of mass, diagonal inertia,
  principal axes): the whole asset is one body, its frame the stage's;
- ``/Root/Collisions``: one Mesh per convex hull, ``PhysicsCollisionAPI`` +
  ``PhysicsMeshCollisionAPI`` with ``convexHull`` (the hull *is* its own convex hull, so
  every simulator uses it as it is), ``purpose = guide`` so renderers skip it (RB.010);
- ``/Root/PhysicsMaterials/<kind>``: a Material with ``PhysicsMaterialAPI`` (friction,
  restitution, density), bound to every collider for the ``physics`` purpose;
- semantic labels: the caller's label under the ``class`` taxonomy and a Wikidata Q-code
  under ``wikidata_qcode`` on ``/Root`` (SL.001, SL.QCODE.001); every Material prim, the
  visual ones included, labelled with the physics material's kind under ``material``
  (SL.MAT.001: each Material, not only the bound ones);
- the provenance the profile requires (SR.004) in the root layer's
  ``customLayerData["SimReady_Metadata"]``;
- the thumbnail SR.002 looks for, ``.thumbs/256x256/<name>.usd.png``, rendered by
  meshfarm's own renderer (:func:`health.report.thumbnail.thumbnail_png`).

The folder is the package (FET_031: textures referenced as ``./textures/...``). NP.005
also judges the folders *around* it: the profile passes only when ``out_dir`` is one
folder below a folder whose name ``name`` contains, e.g. ``duck/simready_usd/duck.usd``,
and ``out_dir`` holds no other USD file (NP.002's text also asks for lowercase names,
though its validator accepts ``Duck``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset import write_usd
from exchange.asset.model import Asset
from exchange.asset.transform import bounds
from exchange.asset.usd_materials_out import TEXTURES, texture_names, unique_name
from health.report.thumbnail import thumbnail_png
from physics.model import Collision, Hull, MassProperties, PhysicsMaterial

GENERIC_QCODE = "Q223557"
"""Wikidata's "physical object": the profile requires one Q-code (SL.QCODE.001, SR.004)
and meshfarm cannot know the object's class, so the most general class of tangible
things is the honest default; a caller that knows better passes its own."""

PHYSICS_PURPOSE = "physics"
"""The material-binding purpose UsdPhysics reads physics materials from (its schema
documents the name; neither UsdShade nor UsdPhysics exports it as a token)."""

SR001_KEYS = ("asset_name", "asset_type", "source_file", "usd_date_generated")
"""What profiles before 3.3.0 require at the top of ``customLayerData`` (SR.001)."""

THUMBNAIL_SIZE = 256
"""SR.002 looks in ``.thumbs/256x256/``."""


class ThumbnailUnavailable(RuntimeError):
    """The renderer could not draw the asset (no GL context here, or it refused it): the
    package would fail SR.002, so none is written as if it were SimReady."""


@dataclass(frozen=True)
class SimReadyUsd:
    usd: Path
    """``out_dir/<name>.usd`` (a crate layer)."""
    textures: tuple[str, ...]
    """The images it uses, relative to ``usd``'s folder (``textures/texture_0.png``)."""
    thumbnail: Path
    """``out_dir/.thumbs/256x256/<name>.usd.png``."""
    collider_count: int


def write_simready_usd(
    asset: Asset,
    collision: Collision,
    mass: MassProperties,
    material: PhysicsMaterial,
    out_dir: Path,
    name: str,
    *,
    label: str,
    qcode: str = GENERIC_QCODE,
    author: str = "meshfarm",
    asset_license: str = "unspecified",
    source_file: str | None = None,
) -> SimReadyUsd:
    """Write the package for ``asset`` (already in the SimReady frame) into ``out_dir``.

    ``label`` is what the object is (a class label, e.g. the file's stem), ``qcode`` its
    Wikidata class; ``author``, ``asset_license`` and ``source_file`` (default: ``name``)
    are the provenance SR.004 requires non-empty.
    """
    if not collision.hulls:
        raise ValueError("a SimReady rigid body needs at least one collider")
    if not name or Path(name).name != name:
        raise ValueError(f"the package's name must be a plain file stem, not {name!r}")
    if not re.fullmatch(r"Q[0-9]+", qcode):
        raise ValueError(f"a Wikidata Q-code is Q and digits, not {qcode!r}")
    png = thumbnail_png(asset, THUMBNAIL_SIZE)
    if png is None:
        raise ThumbnailUnavailable("meshfarm's renderer could not draw the thumbnail")
    out_dir.mkdir(parents=True, exist_ok=True)
    usd = out_dir / f"{name}.usd"
    write_usd(asset, usd, "usdc")
    stage = _open_fresh(usd)
    _physics(stage, collision, mass, material)
    _labels(stage, label, qcode, material.kind)
    box = bounds(asset)
    extents = (box[1] - box[0]) if box is not None else np.zeros(3)
    metadata = _metadata(
        name=name,
        label=label,
        qcode=qcode,
        author=author,
        asset_license=asset_license,
        source_file=source_file or name,
        extents=extents,
        mass=mass,
        collision=collision,
        material=material,
    )
    # SR.004 reads the nested dictionary; the older profiles' SR.001 (still checked as
    # optional) wants the identity keys at the top level too.
    identity = {k: metadata[k] for k in SR001_KEYS}
    stage.GetRootLayer().customLayerData = {"SimReady_Metadata": metadata, **identity}
    stage.GetRootLayer().Save()
    thumbnail = out_dir / ".thumbs" / f"{THUMBNAIL_SIZE}x{THUMBNAIL_SIZE}" / f"{usd.name}.png"
    thumbnail.parent.mkdir(parents=True, exist_ok=True)
    thumbnail.write_bytes(png)
    return SimReadyUsd(
        usd=usd,
        textures=tuple(f"{TEXTURES}/{n}" for n in texture_names(asset).values()),
        thumbnail=thumbnail,
        collider_count=len(collision.hulls),
    )


def _open_fresh(usd: Path) -> Any:
    """The stage write_usd just exported. A layer of that path still open in this
    process (an earlier package at the same place) would otherwise be served from
    OpenUSD's layer registry as it was."""
    from pxr import Sdf, Usd, UsdGeom

    layer = Sdf.Layer.Find(str(usd))
    if layer is not None:
        layer.Reload(force=True)
    else:
        layer = Sdf.Layer.FindOrOpen(str(usd))
    stage = Usd.Stage.Open(layer)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    return stage


def _physics(stage: Any, collision: Collision, mass: MassProperties, m: PhysicsMaterial) -> None:
    from pxr import Gf, UsdGeom, UsdPhysics, UsdShade

    root = stage.GetDefaultPrim()
    taken = {c.GetName() for c in root.GetChildren()}
    UsdPhysics.RigidBodyAPI.Apply(root)
    body = UsdPhysics.MassAPI.Apply(root)
    body.CreateMassAttr(float(mass.mass))
    body.CreateCenterOfMassAttr(Gf.Vec3f(*mass.center_of_mass))
    body.CreateDiagonalInertiaAttr(Gf.Vec3f(*mass.diagonal_inertia))
    w, x, y, z = mass.principal_axes
    body.CreatePrincipalAxesAttr(Gf.Quatf(w, x, y, z))

    scope = UsdGeom.Scope.Define(
        stage, root.GetPath().AppendChild(unique_name("PhysicsMaterials", taken))
    )
    physics_material = UsdShade.Material.Define(
        stage, scope.GetPath().AppendChild(_identifier(m.kind))
    )
    api = UsdPhysics.MaterialAPI.Apply(physics_material.GetPrim())
    api.CreateStaticFrictionAttr(float(m.static_friction))
    api.CreateDynamicFrictionAttr(float(m.dynamic_friction))
    api.CreateRestitutionAttr(float(m.restitution))
    api.CreateDensityAttr(float(m.density))

    colliders = UsdGeom.Xform.Define(
        stage, root.GetPath().AppendChild(unique_name("Collisions", taken))
    )
    colliders.CreatePurposeAttr(UsdGeom.Tokens.guide)
    for i, hull in enumerate(collision.hulls):
        mesh = _hull_mesh(stage, colliders.GetPath().AppendChild(f"hull_{i:03d}"), hull)
        mesh.CreatePurposeAttr(UsdGeom.Tokens.guide)
        UsdPhysics.CollisionAPI.Apply(mesh.GetPrim())
        UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr(
            UsdPhysics.Tokens.convexHull
        )
        UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(
            physics_material, UsdShade.Tokens.fallbackStrength, PHYSICS_PURPOSE
        )


def _hull_mesh(stage: Any, path: Any, hull: Hull) -> Any:
    from pxr import UsdGeom, Vt

    mesh = UsdGeom.Mesh.Define(stage, path)
    points = np.ascontiguousarray(hull.vertices, np.float32)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(hull.faces), 3, np.int32)))
    mesh.CreateFaceVertexIndicesAttr(
        Vt.IntArray.FromNumpy(np.ascontiguousarray(hull.faces.reshape(-1), np.int32))
    )
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([points.min(0), points.max(0)])))
    # A polygonal mesh without normals fails VG.027 even as an invisible guide: one per
    # face, the faces being flat and wound outward.
    corners = hull.vertices[hull.faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-30)
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(normals, np.float32)))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.uniform)
    return mesh


def _labels(stage: Any, label: str, qcode: str, kind: str) -> None:
    from pxr import Usd, UsdSemantics, UsdShade

    root = stage.GetDefaultPrim()
    UsdSemantics.LabelsAPI.Apply(root, "class").CreateLabelsAttr([label])
    UsdSemantics.LabelsAPI.Apply(root, "wikidata_qcode").CreateLabelsAttr([qcode])
    for prim in Usd.PrimRange(root):
        if prim.IsA(UsdShade.Material):
            UsdSemantics.LabelsAPI.Apply(prim, "material").CreateLabelsAttr([kind])


def _metadata(
    *,
    name: str,
    label: str,
    qcode: str,
    author: str,
    asset_license: str,
    source_file: str,
    extents: np.ndarray,
    mass: MassProperties,
    collision: Collision,
    material: PhysicsMaterial,
) -> dict[str, Any]:
    from pxr import Gf

    return {
        "author": author,
        "asset_name": name,
        "asset_type": "prop",
        "asset_license": asset_license,
        "category": label,
        "source_file": source_file,
        "usd_date_generated": datetime.now(UTC).date().isoformat(),
        "qcode": qcode,
        "rigid_body_count": 1,
        "asset_extents": Gf.Vec3f(*(float(v) for v in extents)),
        "mass": float(mass.mass),
        "collision_method": collision.method,
        "collider_count": len(collision.hulls),
        "physics_material": material.kind,
        "physics_material_provider": material.provider,
        "mass_method": mass.method,
    }


def _identifier(name: str) -> str:
    from pxr import Tf

    return Tf.MakeValidIdentifier(name or "material")

"""COLLADA (.dae) → :class:`~exchange.asset.model.Asset`, through trimesh and pycollada.

pycollada parses the XML with the standard library's ElementTree (expat: no external
entities, bounded entity expansion). Every file the document names (its textures) is
asked of :class:`_Resolver`, which serves only files inside the upload's folder
(backslashes normalised) and remembers a path that leads out, so the file is refused
even though trimesh swallows the resolver's errors. ``<up_axis>`` and ``<unit meter>``
become the asset's ``up_axis`` and ``meters_per_unit`` (trimesh applies neither).
Textures arrive as decoded images and are stored as PNG. A ``.zae`` (zipped COLLADA) is
refused for now: the safe-ZIP reader does not pick a .dae as an archive's model yet.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, cast

import numpy as np
import trimesh

from exchange.asset.mesh_in import checked
from exchange.asset.model import Asset, Material, Mesh, Node, Texture
from exchange.errors import AssetInvalid
from exchange.gltf import check_file_size
from exchange.limits import AssetLimits
from exchange.uris import Folder, relative_path

UNIT = re.compile(rb"<unit\b[^>]*\bmeter\s*=\s*\"([0-9.eE+-]+)\"")
UP = re.compile(rb"<up_axis>\s*([XYZ])_UP\s*</up_axis>")


class _Resolver:
    def __init__(self, folder: Path) -> None:
        self.folder = Folder(folder)
        self.refused: AssetInvalid | None = None

    def get(self, name: str) -> bytes:
        what = f"texture {name!r}"
        try:
            return self.folder.blob(relative_path(name, what), name, what).read()
        except AssetInvalid as exc:
            if "outside" in str(exc):
                self.refused = exc
            raise


def read_dae_asset(path: Path, limits: AssetLimits) -> Asset:
    check_file_size(path, limits)
    data = path.read_bytes()
    resolver = _Resolver(path.parent)
    try:
        loaded = trimesh.load(
            io.BytesIO(data), file_type="dae", resolver=cast(Any, resolver), force="scene"
        )
    except Exception as exc:  # trimesh and pycollada raise anything on bad input
        raise AssetInvalid(f"the COLLADA file cannot be read: {exc}") from None
    if resolver.refused is not None:
        raise resolver.refused
    head = data[: 1 << 16]
    unit, up = UNIT.search(head), UP.search(head)
    if up is not None and up.group(1) == b"X":
        raise AssetInvalid("the COLLADA file is X-up (not converted yet)")
    meters = float(unit.group(1)) if unit else 1.0
    if not np.isfinite(meters) or meters <= 0:
        raise AssetInvalid("the COLLADA file's unit is not a positive number")
    if not isinstance(loaded, trimesh.Scene):
        raise AssetInvalid("the COLLADA file holds no scene")
    asset = _asset(loaded, limits)
    asset.up_axis = "Z" if up is not None and up.group(1) == b"Z" else "Y"
    asset.meters_per_unit = meters
    return asset


def _asset(scene: trimesh.Scene, limits: AssetLimits) -> Asset:
    """One root node per placed geometry, with its world matrix (trimesh flattens the
    COLLADA node tree into these)."""
    meshes, materials, nodes = [], [], []
    mesh_of: dict[Any, int] = {}
    for node_name in scene.graph.nodes_geometry:
        matrix, geom_name = scene.graph[node_name]
        geom = scene.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh):
            continue
        if geom_name not in mesh_of:
            uv = getattr(geom.visual, "uv", None)
            uvs = None if uv is None or len(uv) != len(geom.vertices) else _flip(uv)
            prim = checked(geom.vertices, geom.faces, geom.vertex_normals, uvs, "COLLADA", limits)
            material = getattr(geom.visual, "material", None)
            if material is not None:
                materials.append(_material(material))
                prim.material = len(materials) - 1
            meshes.append(Mesh(str(geom_name), [prim]))
            mesh_of[geom_name] = len(meshes) - 1
        nodes.append(Node(str(node_name), np.asarray(matrix, dtype=np.float64), mesh_of[geom_name]))
    if not meshes:
        raise AssetInvalid("the COLLADA file holds no triangles")
    return Asset(nodes, list(range(len(nodes))), meshes, materials)


def _flip(uv: Any) -> np.ndarray:
    out = np.asarray(uv, dtype=np.float32)[:, :2].copy()
    out[:, 1] = 1.0 - out[:, 1]
    return out


def _material(m: Any) -> Material:
    pbr = m.to_pbr() if hasattr(m, "to_pbr") else m
    factor = getattr(pbr, "baseColorFactor", None)
    colour = np.asarray((255, 255, 255, 255) if factor is None else factor, dtype=float)
    if colour.max() > 1.0:
        colour = colour / 255.0
    image = getattr(pbr, "baseColorTexture", None)
    texture = None
    if image is not None:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        texture = Texture(buf.getvalue(), "image/png")
    return Material(
        name=str(getattr(m, "name", "") or ""),
        base_color=(float(colour[0]), float(colour[1]), float(colour[2]), float(colour[3])),
        base_color_texture=texture,
        metallic=_factor(pbr, "metallicFactor", 0.0),
        roughness=_factor(pbr, "roughnessFactor", 1.0),
    )


def _factor(pbr: Any, name: str, default: float) -> float:
    value = getattr(pbr, name, None)
    return default if value is None else float(value)

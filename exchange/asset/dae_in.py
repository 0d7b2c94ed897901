"""COLLADA (.dae) → :class:`~exchange.asset.model.Asset`, through trimesh and pycollada.

pycollada parses the XML with the standard library's ElementTree (expat: no external
entities, bounded entity expansion). Every file the document names (its textures) is
asked of :class:`_Resolver`, which serves only files inside the upload's folder
(backslashes normalised) and remembers a path that leads out, so the file is refused
even though trimesh swallows the resolver's errors. ``<up_axis>`` and ``<unit meter>``
become the asset's ``up_axis`` and ``meters_per_unit`` (trimesh applies neither).
Textures arrive as decoded images and are stored as PNG.

A zipped COLLADA (``.zae``) is opened by the safe-ZIP reader (its entries checked, what is
inflated counted against the limits); its root ``manifest.xml`` names the ``.dae``
(``<dae_root>``), whose textures are served only from members of the archive, relative to
the document (a path leading out of the archive names no member: no texture).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, cast

import numpy as np
import trimesh

from exchange.asset.mesh_in import checked
from exchange.asset.model import Asset, Material, Mesh, Node, Texture
from exchange.blobs import Blob
from exchange.errors import AssetInvalid
from exchange.gltf import check_file_size
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel
from exchange.uris import Files, Folder, relative_path

UNIT = re.compile(rb"<unit\b[^>]*\bmeter\s*=\s*\"([0-9.eE+-]+)\"")
UP = re.compile(rb"<up_axis>\s*([XYZ])_UP\s*</up_axis>")
MANIFEST = "manifest.xml"
MAX_MANIFEST_BYTES = 64 * 1024


class _Resolver:
    def __init__(self, files: Files) -> None:
        self.files = files
        self.refused: AssetInvalid | None = None

    def get(self, name: str) -> bytes:
        what = f"texture {name!r}"
        try:
            return self.files.blob(relative_path(name, what), name, what).read()
        except AssetInvalid as exc:
            if "outside" in str(exc):
                self.refused = exc
            raise


class _Members:
    """:class:`exchange.uris.Files` over a ZIP's members, relative to member ``beside``."""

    def __init__(self, archive: ZipModel, beside: str) -> None:
        self.archive, self.beside = archive, beside

    def blob(self, path: str, uri: str, what: str) -> Blob:
        name = self.archive.find(path, self.beside)
        if name is None:
            raise AssetInvalid(f"{what} refers to a missing file: {uri!r}")
        return Blob.of_bytes(self.archive.read(name))


def read_dae_asset(path: Path, limits: AssetLimits) -> Asset:
    check_file_size(path, limits)
    return _read(path.read_bytes(), _Resolver(Folder(path.parent)), limits)


def read_zae_asset(path: Path, limits: AssetLimits) -> Asset:
    """The COLLADA document a .zae's manifest names, with textures from the archive."""
    check_file_size(path, limits)
    with ZipModel(path, limits, suffixes=(MANIFEST,)) as archive:
        if archive.model.lower() != MANIFEST:
            raise AssetInvalid(f"the .zae's {MANIFEST} must be at the top of the archive")
        if archive.members[archive.model].file_size > MAX_MANIFEST_BYTES:
            raise AssetInvalid(f"the .zae's {MANIFEST} is larger than {MAX_MANIFEST_BYTES:,} bytes")
        dae = archive.find(_dae_root(archive.read(archive.model)), archive.model)
        if dae is None or not dae.lower().endswith(".dae"):
            raise AssetInvalid(f"the .zae's {MANIFEST} does not name a .dae in the archive")
        return _read(archive.read(dae), _Resolver(_Members(archive, dae)), limits)


def _dae_root(manifest: bytes) -> str:
    try:
        root = ET.fromstring(manifest)
    except ET.ParseError:
        raise AssetInvalid(f"the .zae's {MANIFEST} is not XML") from None
    found = root if root.tag == "dae_root" else root.find(".//dae_root")
    text = (found.text or "").strip() if found is not None else ""
    if not text:
        raise AssetInvalid(f"the .zae's {MANIFEST} names no <dae_root>")
    return relative_path(text, f"the .zae's {MANIFEST} <dae_root>")


def _read(data: bytes, resolver: _Resolver, limits: AssetLimits) -> Asset:
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

"""OBJ (+ MTL + textures, or a ZIP of them), STL (binary or ASCII) and PLY →
:class:`~exchange.asset.model.Asset`.

trimesh parses the geometry, but it is lenient (/work/shared/FACTS.md): what it returns
is checked here (faces present, indices inside their vertices, finite positions) and any
failure of its parsers becomes an :class:`~exchange.errors.AssetInvalid`. It also invents
a 2×2 texture for an OBJ with UVs, so the MTL is parsed here (:mod:`exchange.asset.mtl`)
and only textures that really exist are kept, found through the same
:class:`~exchange.uris.Files` rules as a glTF's (backslashes normalised, nothing outside
the upload's folder or ZIP). STL and PLY carry no axis or unit: they are taken as Z-up
(the CAD and scanner convention) with one unit per metre; OBJ as Y-up, as Wavefront's
tools write it.
"""

from __future__ import annotations

import io
import posixpath
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from exchange.asset.model import Asset, Material, Mesh, Primitive, single_mesh_asset
from exchange.asset.mtl import read_mtl
from exchange.errors import AssetInvalid
from exchange.gltf import check_file_size
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel
from exchange.uris import Files, Folder


def read_mesh_asset(path: Path, kind: str, limits: AssetLimits) -> Asset:
    """``kind``: ``obj``, ``stl``, ``ply`` or ``zip`` (an archive holding an OBJ)."""
    check_file_size(path, limits)
    if kind == "zip":
        with ZipModel(path, limits) as archive:
            if not archive.model.lower().endswith(".obj"):
                raise AssetInvalid("the ZIP holds no .obj file")
            files = archive.files(None)
            obj = files.member(archive.model).read()
            return _obj(obj, posixpath.basename(archive.model), files, limits)
    if kind == "obj":
        return _obj(path.read_bytes(), path.name, Folder(path.parent), limits)
    try:
        loaded = trimesh.load(str(path), file_type=kind, force="mesh", process=False)
    except Exception as exc:  # trimesh's parsers raise anything on bad input
        raise AssetInvalid(f"the {kind.upper()} file cannot be read: {exc}") from None
    if not isinstance(loaded, trimesh.Trimesh):
        raise AssetInvalid(f"the {kind.upper()} file holds no triangles")
    prim = checked(loaded.vertices, loaded.faces, None, None, kind, limits)
    return single_mesh_asset(Mesh(path.stem, [prim]), [], up_axis="Z")


def _obj(data: bytes, name: str, files: Files, limits: AssetLimits) -> Asset:
    materials: list[Material] = []
    names_only: dict[str, bytes] = {}
    for lib in _mtllibs(data):
        found = read_mtl(lib, files, limits)
        materials.extend(found)
        # trimesh sees only the names (to tag each group), never a texture path
        text = "".join(f"newmtl {m.name}\n" for m in found).encode()
        names_only[lib] = names_only[posixpath.basename(lib.replace("\\", "/"))] = text
    try:
        parsed = trimesh.exchange.obj.load_obj(io.BytesIO(data), resolver=names_only)
    except Exception as exc:  # trimesh's parsers raise anything on bad input
        raise AssetInvalid(f"the OBJ file cannot be read: {exc}") from None
    by_name = {m.name: i for i, m in enumerate(materials)}
    geometry: dict[str, Any] = parsed.get("geometry", {}) if "geometry" in parsed else {"": parsed}
    prims = []
    for g in geometry.values():
        visual = g.get("visual")
        uv = getattr(visual, "uv", None)
        material = getattr(getattr(visual, "material", None), "name", None)
        uvs = None if uv is None or len(uv) != len(g["vertices"]) else _flip_v(uv)
        normals = g.get("vertex_normals")
        prim = checked(g["vertices"], g["faces"], normals, uvs, "obj", limits)
        prim.material = by_name.get(material) if material is not None else None
        prims.append(prim)
    if not prims:
        raise AssetInvalid("the OBJ file holds no faces")
    return single_mesh_asset(Mesh(Path(name).stem, prims), materials)


def _mtllibs(data: bytes) -> list[str]:
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0] == "mtllib":
            out.append(parts[1].strip())
    return out


def _flip_v(uv: np.ndarray) -> np.ndarray:
    """OBJ's v runs up from the image's bottom, glTF's down from its top."""
    out = np.asarray(uv, dtype=np.float32)[:, :2].copy()
    out[:, 1] = 1.0 - out[:, 1]
    return out


def checked(
    vertices: Any, faces: Any, normals: Any, uvs: np.ndarray | None, kind: str, limits: AssetLimits
) -> Primitive:
    """A primitive of trimesh's arrays once they pass the rules its parsers skip."""
    what = kind.upper()
    positions = np.asarray(vertices, dtype=np.float64)
    tris = np.asarray(faces)
    if tris.ndim == 2 and tris.shape[1] == 4:  # an all-quad OBJ: trimesh keeps its quads
        tris = np.concatenate([tris[:, [0, 1, 2]], tris[:, [0, 2, 3]]])
    if tris.size == 0 or tris.ndim != 2 or tris.shape[1] != 3:
        raise AssetInvalid(f"the {what} file holds no triangles")
    if len(tris) > limits.max_triangles or len(positions) > limits.max_vertices:
        raise AssetInvalid(f"the {what} file has more triangles or vertices than allowed")
    if tris.min() < 0 or tris.max() >= len(positions):
        raise AssetInvalid(f"the {what} file has faces that point past its vertices")
    if not np.isfinite(positions).all():
        raise AssetInvalid(f"the {what} file has NaN or infinite positions")
    n = None
    if normals is not None and len(normals) == len(positions):
        n = np.asarray(normals, dtype=np.float32)
    return Primitive(positions.astype(np.float32), tris.astype(np.uint32), n, uvs)

"""3D files ↔ one in-memory asset (:mod:`exchange.asset.model`): the first slice of the
converter (docs/exchange.md).

Read (:data:`READ_SUFFIXES`): .glb, .gltf, .zip (a glTF or an OBJ with its files), .obj,
.stl, .ply, .dae and .zae (through pycollada), .usd/.usda/.usdc/.usdz (through usd-core),
.fbx (through Blender, in a process of its own: ``blender_python``). Write: glb, obj (a
ZIP), stl, usdz, usdc, usda, fbx (through Blender, as reading it).
Every refusal is an :class:`~exchange.errors.AssetInvalid`.
"""

from __future__ import annotations

from pathlib import Path

from exchange.asset.compare import RoundTrip, compare, summary
from exchange.asset.dae_in import read_dae_asset, read_zae_asset
from exchange.asset.fbx_in import read_fbx_asset
from exchange.asset.fbx_out import write_fbx
from exchange.asset.files_out import write_obj_zip, write_stl
from exchange.asset.glb_out import write_glb
from exchange.asset.gltf_in import read_gltf_asset
from exchange.asset.mesh_in import read_mesh_asset
from exchange.asset.model import Asset, Material, Mesh, Node, Primitive, Texture
from exchange.asset.transform import normalised
from exchange.asset.usd_in import read_usd_asset
from exchange.asset.usd_out import write_usd
from exchange.errors import AssetUnsupported
from exchange.formats import READ_SUFFIXES, TARGETS, USD_SUFFIXES
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel


def read_asset(
    path: Path, limits: AssetLimits | None = None, *, blender_python: Path | None = None
) -> Asset:
    """The asset in ``path``, chosen by its suffix (a ZIP by the model it holds)."""
    limits = limits or AssetLimits()
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "fbx":
        return read_fbx_asset(path, limits, blender_python)
    if suffix == "zae":
        return read_zae_asset(path, limits)
    if suffix == "dae":
        return read_dae_asset(path, limits)
    if suffix in USD_SUFFIXES:
        return read_usd_asset(path, limits)
    if suffix in ("obj", "stl", "ply"):
        return read_mesh_asset(path, suffix, limits)
    if suffix == "zip":
        with ZipModel(path, limits) as archive:
            holds_obj = archive.model.lower().endswith(".obj")
        if holds_obj:
            return read_mesh_asset(path, "zip", limits)
    if suffix in ("glb", "gltf", "zip"):
        return read_gltf_asset(path, limits)
    raise AssetUnsupported(f"files of type .{suffix} are not converted yet")


def write_asset(
    asset: Asset, path: Path, target: str, *, blender_python: Path | None = None
) -> None:
    """``asset`` as it is (see :func:`convert` for the options) in ``target``'s format
    (FBX through Blender: ``blender_python``, see :mod:`exchange.asset.fbx_out`)."""
    if target == "glb":
        write_glb(asset, path)
    elif target == "obj":
        write_obj_zip(asset, path, path.stem)
    elif target == "stl":
        write_stl(asset, path)
    elif target in ("usdz", "usdc", "usda"):
        write_usd(asset, path, target)
    elif target == "fbx":
        write_fbx(asset, path, blender_python)
    else:
        raise AssetUnsupported(f"cannot write {target!r}; targets: {', '.join(TARGETS)}")


def convert(
    source: Path,
    dest: Path,
    target: str,
    *,
    y_up: bool = True,
    root_xform: bool = True,
    limits: AssetLimits | None = None,
    blender_python: Path | None = None,
) -> Asset:
    """Read ``source``, apply the options (:mod:`exchange.asset.transform`), write ``dest``;
    returns the asset as written (what a round trip compares the re-read output with)."""
    asset = read_asset(source, limits, blender_python=blender_python)
    asset = normalised(asset, y_up=y_up, root_xform=root_xform)
    write_asset(asset, dest, target, blender_python=blender_python)
    return asset


__all__ = [
    "READ_SUFFIXES",
    "TARGETS",
    "Asset",
    "Material",
    "Mesh",
    "Node",
    "Primitive",
    "RoundTrip",
    "Texture",
    "compare",
    "convert",
    "normalised",
    "read_asset",
    "summary",
    "write_asset",
]

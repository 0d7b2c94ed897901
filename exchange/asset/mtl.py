"""Wavefront MTL → :class:`~exchange.asset.model.Material` list, read here rather than by
trimesh so that a texture is kept only if its file really is in the upload (trimesh
invents a placeholder image otherwise; /work/shared/FACTS.md).

Colours: ``Kd`` (with ``d`` or ``1 - Tr`` as alpha) is the base colour, ``Ke`` the
emission; the PBR extension's ``Pm`` / ``Pr`` give metallic and roughness (absent: a
dielectric, metallic 0, roughness 1). Maps: ``map_Kd``, ``map_Ke``, ``norm`` / ``map_Bump``
/ ``bump`` and ``map_Pr`` (read into the roughness slot is not glTF's channel layout, so it
is not kept). A map's file name is its line's last word, backslashes as slashes.
"""

from __future__ import annotations

from exchange.asset.gltf_in import sniff_mime
from exchange.asset.model import Material, Texture
from exchange.errors import AssetInvalid
from exchange.limits import AssetLimits
from exchange.uris import Files, relative_path

MAX_MTL_BYTES = 4 * 1024 * 1024


def read_mtl(name: str, files: Files, limits: AssetLimits) -> list[Material]:
    """The materials of MTL ``name`` (none when the file is missing: the OBJ still draws)."""
    path = relative_path(name, f"mtllib {name!r}")
    try:
        blob = files.blob(path, name, f"mtllib {name!r}")
    except AssetInvalid as exc:
        if "missing" in str(exc):
            return []
        raise
    if blob.length > MAX_MTL_BYTES:
        raise AssetInvalid(f"the material library {name!r} is larger than {MAX_MTL_BYTES:,} bytes")
    out: list[Material] = []
    with_d: set[int] = set()  # materials whose ``d`` was given: it wins over ``Tr``
    for raw in blob.read().decode("utf-8", "replace").splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        key, args = words[0], words[1:]
        if key == "newmtl":
            out.append(Material(name=" ".join(args), metallic=0.0))
        elif out and args:
            _apply(out[-1], key, args, files, seen_d=len(out) - 1 in with_d)
            if key == "d":
                with_d.add(len(out) - 1)
    return out


def _apply(m: Material, key: str, args: list[str], files: Files, *, seen_d: bool) -> None:
    if key == "Kd" and len(args) >= 3:
        m.base_color = (_f(args[0]), _f(args[1]), _f(args[2]), m.base_color[3])
    elif key == "d":
        m.base_color = (*m.base_color[:3], min(1.0, max(0.0, _f(args[0]))))
    elif key == "Tr" and not seen_d:
        # Tr is 1 - d, but MeshLab and others write "Tr 1" for an opaque material: a
        # wholly invisible one is never what such a file means (trimesh and Blender agree)
        alpha = 1.0 - _f(args[0])
        m.base_color = (*m.base_color[:3], 1.0 if alpha <= 0.0 else min(1.0, alpha))
    elif key == "Ke" and len(args) >= 3:
        m.emissive = (_f(args[0]), _f(args[1]), _f(args[2]))
    elif key == "Pm":
        m.metallic = _f(args[0])
    elif key == "Pr":
        m.roughness = _f(args[0])
    elif key == "map_Kd":
        m.base_color_texture = _texture(args[-1], files)
    elif key == "map_Ke":
        m.emissive_texture = _texture(args[-1], files)
    elif key in ("norm", "map_Bump", "bump", "map_bump"):
        m.normal_texture = _texture(args[-1], files)


def _f(word: str) -> float:
    try:
        value = float(word)
    except ValueError:
        raise AssetInvalid(f"the material library has a malformed number {word!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AssetInvalid("the material library has a non-finite number")
    return value


def _texture(word: str, files: Files) -> Texture | None:
    """The PNG or JPEG that ``word`` names (None: missing, or another format)."""
    what = f"texture {word!r}"
    path = relative_path(word, what)
    try:
        data = files.blob(path, word, what).read()
    except AssetInvalid as exc:
        if "missing" in str(exc):
            return None
        raise
    mime = sniff_mime(data)
    return None if mime is None else Texture(data, mime)

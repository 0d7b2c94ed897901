""":class:`~exchange.asset.model.Asset` → OBJ (a ZIP of .obj, .mtl and textures) or
binary STL.

Neither format has a node hierarchy, so every drawn primitive is written in world space
(its node's transforms applied). OBJ keeps UVs (v flipped back to Wavefront's bottom-up
convention), normals and one ``usemtl`` group per material; textures keep their bytes,
named ``texture_<n>.png|jpg``. STL keeps triangles only, each with its face normal, and
is written Z-up (its readers' convention, :mod:`exchange.asset.mesh_in`): +Y becomes +Z.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np

from exchange.asset.model import Asset, Material, Texture
from exchange.asset.transform import Z_TO_Y, transformed

SUFFIX = {"image/png": "png", "image/jpeg": "jpg"}


def write_obj_zip(asset: Asset, path: Path, stem: str = "model") -> None:
    names: dict[bytes, str] = {}
    for i, tex in enumerate(asset.textures()):
        names[tex.data] = f"texture_{i}.{SUFFIX[tex.mime]}"
    lines = [f"mtllib {stem}.mtl"]
    base = 1
    for matrix, prim in asset.placed():
        p = transformed(prim, matrix)
        lines.append(f"o part_{len(lines)}")
        lines.extend(f"v {x:.7g} {y:.7g} {z:.7g}" for x, y, z in p.positions)
        if p.uvs is not None:
            lines.extend(f"vt {u:.7g} {1.0 - v:.7g}" for u, v in p.uvs)
        if p.normals is not None:
            lines.extend(f"vn {x:.6g} {y:.6g} {z:.6g}" for x, y, z in p.normals)
        if p.material is not None:
            lines.append(f"usemtl material_{p.material}")
        for tri in p.indices + base:
            corners = [_corner(int(i), p.uvs is not None, p.normals is not None) for i in tri]
            lines.append("f " + " ".join(corners))
        base += len(p.positions)
    mtl = [_mtl(i, m, names) for i, m in enumerate(asset.materials)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}.obj", "\n".join(lines) + "\n")
        zf.writestr(f"{stem}.mtl", "\n".join(mtl) + "\n")
        for tex in asset.textures():
            zf.writestr(names[tex.data], tex.data)


def _corner(i: int, uv: bool, normal: bool) -> str:
    if normal:
        return f"{i}/{i if uv else ''}/{i}"
    return f"{i}/{i}" if uv else str(i)


def _mtl(i: int, m: Material, names: dict[bytes, str]) -> str:
    r, g, b, a = m.base_color
    out = [f"newmtl material_{i}", f"Kd {r:.6g} {g:.6g} {b:.6g}", f"d {a:.6g}"]
    out += [f"Ke {' '.join(f'{c:.6g}' for c in m.emissive)}"]
    out += [f"Pm {m.metallic:.6g}", f"Pr {m.roughness:.6g}"]
    maps: tuple[tuple[str, Texture | None], ...] = (
        ("map_Kd", m.base_color_texture),
        ("map_Ke", m.emissive_texture),
        ("norm", m.normal_texture),
    )
    out += [f"{key} {names[tex.data]}" for key, tex in maps if tex is not None]
    return "\n".join(out)


def write_stl(asset: Asset, path: Path) -> None:
    to_z_up = np.linalg.inv(Z_TO_Y)
    tris = [transformed(p, to_z_up @ m) for m, p in asset.placed()]
    corners = [p.positions[p.indices] for p in tris if len(p.indices)]
    faces = np.concatenate(corners) if corners else np.zeros((0, 3, 3), np.float32)
    normals = np.cross(faces[:, 1] - faces[:, 0], faces[:, 2] - faces[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = normals / np.where(length > 0, length, 1)
    records = np.zeros(len(faces), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    records["n"], records["v"] = normals, faces
    header = b"meshfarm exchange binary STL".ljust(80, b" ")
    path.write_bytes(header + struct.pack("<I", len(faces)) + records.tobytes())

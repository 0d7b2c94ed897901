"""glTF meshes → :class:`~renderer.scene.Mesh`: float32 triangle lists, whatever the file stores.

Every primitive the renderer draws leaves here as triangles (strips and fans converted,
points and lines skipped with a warning) with float32 attributes: Draco-compressed ones
decoded, normalized integers scaled, missing normals made flat (the primitive unwelded),
tangents built where a normal map needs them. What the stored data must hold — types, one
element per vertex, finite values, indices inside the vertices, morph targets and
material-variant mappings that name what exists — was checked by
:func:`exchange.model_check.check_model`, as at upload; Draco data, which only the decoder
here can read, is held to the same rules once decoded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exchange.meshes import ATTRIBUTE_TYPES, DRACO, TRIANGLE_FAN, TRIANGLE_STRIP, TRIANGLES
from exchange.variants import mappings
from renderer.accessors import BufferReader, normalize_ints
from renderer.errors import InvalidModel
from renderer.geometry import flat_normals, tangents, unweld
from renderer.scene import Material, Mesh, MorphTarget, Primitive

WIDTHS = {"VEC2": 2, "VEC3": 3, "VEC4": 4}


class MeshReader:
    """Reads ``meshes`` of one document through its :class:`BufferReader`."""

    def __init__(self, reader: BufferReader, warnings: list[str]) -> None:
        self.reader = reader
        self.doc = reader.doc
        self.warnings = warnings

    def mesh(self, index: int, m: dict[str, Any], materials: list[Material]) -> Mesh:
        prims: list[Primitive] = []
        for p in m.get("primitives", []):
            mode = p.get("mode", TRIANGLES)
            if mode not in (TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN):
                self.warnings.append(f"mesh {index}: point/line primitives are not drawn")
                continue
            prim = self._primitive(index, p, mode, materials)
            if prim is not None:
                prims.append(prim)
        weights = np.array(m.get("weights", []), dtype=np.float32)
        return Mesh(name=str(m.get("name", f"mesh{index}")), primitives=prims, weights=weights)

    def _primitive(
        self, mesh: int, p: dict[str, Any], mode: int, materials: list[Material]
    ) -> Primitive | None:
        draco = p.get("extensions", {}).get(DRACO)
        indices: np.ndarray | None
        if draco is not None:
            attrs, faces = self._draco(draco, p)
            targets = self._targets(p, len(attrs["POSITION"]))
            _check_decoded(f"mesh {mesh}", attrs, targets, faces, len(attrs["POSITION"]))
            indices = faces
        else:
            attrs, indices = self._plain(p)
            targets = self._targets(p, len(attrs["POSITION"]))
        n = len(attrs["POSITION"])
        indices = _triangulate(np.arange(n, dtype=np.int64) if indices is None else indices, mode)
        if indices.size == 0:
            return None
        arrays = {k: v for k, v in attrs.items() if k not in ("JOINTS_0", "WEIGHTS_0")}
        if "COLOR_0" in arrays and arrays["COLOR_0"].shape[1] == 3:
            arrays["COLOR_0"] = np.concatenate([arrays["COLOR_0"], np.ones((n, 1), np.float32)], 1)
        if "JOINTS_0" in attrs and "WEIGHTS_0" in attrs:
            arrays["JOINTS_0"], arrays["WEIGHTS_0"] = attrs["JOINTS_0"], attrs["WEIGHTS_0"]
        for i, t in enumerate(targets):
            arrays[f"T{i}P"] = t.position
            if t.normal is not None:
                arrays[f"T{i}N"] = t.normal
        if "NORMAL" not in arrays:
            arrays = unweld(arrays, indices)
            indices = np.arange(len(indices), dtype=np.int64)
            arrays["NORMAL"] = flat_normals(arrays["POSITION"], indices)
        normals = arrays["NORMAL"]
        lengths = np.linalg.norm(normals, axis=1, keepdims=True)
        normals = np.where(lengths > 1e-12, normals / np.maximum(lengths, 1e-30), [0.0, 1.0, 0.0])
        material_index = p.get("material")
        tangent_array = arrays.get("TANGENT")
        if tangent_array is None and material_index is not None:
            mat = materials[material_index]
            normal_tex = mat.normal_texture or (mat.clearcoat and mat.clearcoat.normal_texture)
            uv = arrays.get(f"TEXCOORD_{normal_tex.tex_coord}") if normal_tex else None
            if uv is None and mat.anisotropy is not None:  # its direction needs a frame
                tex = mat.anisotropy.texture
                uv = arrays.get(f"TEXCOORD_{tex.tex_coord if tex else 0}")
            if uv is not None:
                tangent_array = tangents(arrays["POSITION"], normals, uv, indices)
        return Primitive(
            variants={
                v: mapping["material"]
                for mapping in mappings(p, f"mesh {mesh}")
                for v in mapping.get("variants", [])
            },
            positions=arrays["POSITION"],
            normals=normals.astype(np.float32),
            indices=indices.astype(np.uint32),
            material=material_index,
            tangents=tangent_array,
            uv0=arrays.get("TEXCOORD_0"),
            uv1=arrays.get("TEXCOORD_1"),
            color0=arrays.get("COLOR_0"),
            joints=arrays.get("JOINTS_0"),
            weights=arrays.get("WEIGHTS_0"),
            targets=[
                MorphTarget(position=arrays[f"T{i}P"], normal=arrays.get(f"T{i}N"))
                for i in range(len(targets))
            ],
        )

    def _plain(self, p: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """The attributes the renderer draws as float32 (vertices, width), and the indices."""
        stored = p["attributes"]
        attrs = {k: _f32(self.reader.accessor(stored[k])) for k in ATTRIBUTE_TYPES if k in stored}
        indices = self.reader.accessor(p["indices"]).astype(np.int64) if "indices" in p else None
        return attrs, indices

    def _targets(self, p: dict[str, Any], n: int) -> list[MorphTarget]:
        out = []
        for t in p.get("targets", []):
            position = (
                _f32(self.reader.accessor(t["POSITION"]))
                if "POSITION" in t
                else np.zeros((n, 3), np.float32)
            )
            normal = _f32(self.reader.accessor(t["NORMAL"])) if "NORMAL" in t else None
            out.append(MorphTarget(position=position, normal=normal))
        return out

    def _draco(
        self, draco: dict[str, Any], p: dict[str, Any]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        import DracoPy  # heavy optional codec: imported only for Draco files

        data = bytes(self.reader.views.view_bytes(draco["bufferView"])[0])
        try:
            decoded = DracoPy.decode(data)
        except Exception as exc:  # DracoPy raises its own untyped errors
            raise InvalidModel(f"a Draco-compressed mesh cannot be decoded: {exc}") from None
        attrs: dict[str, np.ndarray] = {}
        for name, unique_id in draco["attributes"].items():
            attr = decoded.get_attribute_by_unique_id(unique_id)
            if attr is None:
                raise InvalidModel(f"Draco attribute {name} (id {unique_id}) is missing")
            if name not in ATTRIBUTE_TYPES:
                continue
            values = np.asarray(attr["data"])
            stored = p["attributes"].get(name)
            if stored is not None and self.doc["accessors"][stored].get("normalized"):
                values = normalize_ints(values)
            attrs[name] = _f32(values)
        faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1)
        return attrs, faces


def _f32(values: np.ndarray) -> np.ndarray:
    """Values as contiguous float32 rows (one per vertex)."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(len(values), -1))


def _check_decoded(
    label: str,
    attrs: dict[str, np.ndarray],
    targets: list[MorphTarget],
    faces: np.ndarray,
    n: int,
) -> None:
    """Decoded Draco data, which the upload cannot read, held to the rules stored data is
    held to (:mod:`exchange.meshes`): the attributes' widths, one element per vertex,
    finite values, indices inside the vertices."""
    arrays = list(attrs.items())
    for i, t in enumerate(targets):
        arrays += [(f"morph target {i}", t.position)]
        arrays += [(f"morph target {i} normal", t.normal)] if t.normal is not None else []
    for name, values in arrays:
        widths = {WIDTHS[k] for k in ATTRIBUTE_TYPES.get(name, ("VEC3",))}
        if len(values) != n or values.shape[1] not in widths:
            raise InvalidModel(f"{label}: {name} does not match the vertex count or width")
        if not np.all(np.isfinite(values)):
            raise InvalidModel(f"{label}: {name} holds NaN or infinite values")
    if faces.size and (faces.min() < 0 or faces.max() >= n):
        raise InvalidModel(f"{label} has indices pointing past its {n} vertices")


def _triangulate(indices: np.ndarray, mode: int) -> np.ndarray:
    if mode == TRIANGLES:
        return indices[: len(indices) - len(indices) % 3]
    if len(indices) < 3:
        return indices[:0]
    k = np.arange(len(indices) - 2)
    if mode == TRIANGLE_STRIP:
        even = k % 2 == 0
        a = indices[k]
        b = np.where(even, indices[k + 1], indices[k + 2])
        c = np.where(even, indices[k + 2], indices[k + 1])
    else:
        a, b, c = np.full_like(k, indices[0]), indices[k + 1], indices[k + 2]
    return np.stack([a, b, c], axis=1).reshape(-1)

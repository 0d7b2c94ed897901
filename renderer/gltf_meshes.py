"""glTF meshes → :class:`~renderer.scene.Mesh`: float32 triangle lists, whatever the file stores.

Every primitive the renderer draws leaves here as triangles (strips and fans converted,
points and lines skipped with a warning) with float32 attributes: Draco-compressed ones
decoded, normalized integers scaled, missing normals made flat (the primitive unwelded),
tangents built where a normal map needs them, morph targets and material-variant mappings
checked against what they name. The GPU side never branches on any of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exchange.limits import AssetLimits
from renderer.accessors import BufferReader, int_field, item
from renderer.errors import InvalidModel, UnsupportedModel
from renderer.geometry import flat_normals, tangents, unweld
from renderer.scene import Material, Mesh, MorphTarget, Primitive

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


class MeshReader:
    """Reads ``meshes`` of one document through its :class:`BufferReader`."""

    def __init__(
        self, reader: BufferReader, limits: AssetLimits, n_variants: int, warnings: list[str]
    ) -> None:
        self.reader = reader
        self.doc = reader.doc
        self.limits = limits
        self.n_variants = n_variants
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
        label = f"mesh {mesh}"
        draco = p.get("extensions", {}).get("KHR_draco_mesh_compression")
        indices: np.ndarray | None
        if draco is not None:
            attrs, indices = self._draco(draco, p)
        else:
            attrs = {
                name: self.reader.accessor(acc) for name, acc in p.get("attributes", {}).items()
            }
            indices = (
                self.reader.accessor(p["indices"]).astype(np.int64).reshape(-1)
                if "indices" in p
                else None
            )
        if "POSITION" not in attrs:
            raise InvalidModel(f"{label} has a primitive without POSITION")
        positions = np.asarray(attrs["POSITION"], dtype=np.float32).reshape(-1, 3)
        n = len(positions)
        if not np.all(np.isfinite(positions)):
            raise InvalidModel(f"{label} has NaN or infinite vertex positions")
        if indices is None:
            indices = np.arange(n, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise InvalidModel(f"{label} has indices pointing past its {n} vertices")
        indices = _triangulate(indices, mode)
        if indices.size == 0:
            return None
        arrays: dict[str, np.ndarray] = {"POSITION": positions}
        for name, width in (("NORMAL", 3), ("TANGENT", 4), ("TEXCOORD_0", 2), ("TEXCOORD_1", 2)):
            if name in attrs:
                arrays[name] = _float_attr(attrs[name], n, width, label, name)
        if "COLOR_0" in attrs:
            color = _float_attr(attrs["COLOR_0"], n, None, label, "COLOR_0")
            if color.shape[1] == 3:
                color = np.concatenate([color, np.ones((n, 1), np.float32)], axis=1)
            arrays["COLOR_0"] = color
        if "JOINTS_0" in attrs and "WEIGHTS_0" in attrs:
            arrays["JOINTS_0"] = _float_attr(attrs["JOINTS_0"], n, 4, label, "JOINTS_0")
            arrays["WEIGHTS_0"] = _float_attr(attrs["WEIGHTS_0"], n, 4, label, "WEIGHTS_0")
        targets = self._targets(p, n, label)
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
        if material_index is not None and not 0 <= material_index < len(materials):
            raise InvalidModel(f"{label} references a missing material")
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
            variants=self._variant_mappings(p, len(materials), label),
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

    def _variant_mappings(self, p: dict[str, Any], n_materials: int, label: str) -> dict[int, int]:
        mappings = p.get("extensions", {}).get("KHR_materials_variants", {}).get("mappings", [])
        n_variants = self.n_variants
        out: dict[int, int] = {}
        for mapping in mappings:
            material = int_field(mapping, "material")
            if not 0 <= material < n_materials:
                raise InvalidModel(f"{label}: a material variant names a missing material")
            for variant in mapping.get("variants", []):
                if not isinstance(variant, int) or not 0 <= variant < n_variants:
                    raise InvalidModel(f"{label}: a material mapping names a missing variant")
                out[variant] = material
        return out

    def _targets(self, p: dict[str, Any], n: int, label: str) -> list[MorphTarget]:
        targets = p.get("targets", [])
        if len(targets) > self.limits.max_morph_targets:
            raise UnsupportedModel(
                f"{label} has {len(targets)} morph targets (max {self.limits.max_morph_targets})"
            )
        out = []
        for t in targets:
            zero = np.zeros((n, 3), np.float32)
            pos = (
                _float_attr(self.reader.accessor(t["POSITION"]), n, 3, label, "target")
                if ("POSITION" in t)
                else zero
            )
            nrm = (
                _float_attr(self.reader.accessor(t["NORMAL"]), n, 3, label, "target")
                if "NORMAL" in t
                else None
            )
            if not np.all(np.isfinite(pos)):
                raise InvalidModel(f"{label} has non-finite morph target positions")
            out.append(MorphTarget(position=pos, normal=nrm))
        return out

    def _draco(
        self, draco: dict[str, Any], p: dict[str, Any]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        import DracoPy  # heavy optional codec: imported only for Draco files

        data = bytes(self.reader.view_bytes(int_field(draco, "bufferView"))[0])
        try:
            decoded = DracoPy.decode(data)
        except Exception as exc:  # DracoPy raises its own untyped errors
            raise InvalidModel(f"a Draco-compressed mesh cannot be decoded: {exc}") from None
        attrs: dict[str, np.ndarray] = {}
        for name, unique_id in draco.get("attributes", {}).items():
            attr = decoded.get_attribute_by_unique_id(unique_id)
            if attr is None:
                raise InvalidModel(f"Draco attribute {name} (id {unique_id}) is missing")
            values = np.asarray(attr["data"])
            acc_index = p.get("attributes", {}).get(name)
            if acc_index is not None and item(self.doc, "accessors", acc_index).get("normalized"):
                values = _normalize_ints(values)
            attrs[name] = values
        faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1)
        return attrs, faces


def _normalize_ints(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "iu":
        return values
    info = np.iinfo(values.dtype)
    out = values.astype(np.float32) / np.float32(info.max)
    return np.maximum(out, -1.0) if info.min < 0 else out


def _float_attr(values: np.ndarray, n: int, width: int | None, label: str, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float32)
    arr = arr.reshape(len(arr), -1)
    if len(arr) != n or (width is not None and arr.shape[1] != width):
        raise InvalidModel(f"{label}: {name} does not match the vertex count or width")
    if not np.all(np.isfinite(arr)):
        raise InvalidModel(f"{label}: {name} holds NaN or infinite values")
    return np.ascontiguousarray(arr)


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

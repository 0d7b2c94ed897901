"""Structural validation of glTF 2.0 / GLB files before they are accepted.

trimesh accepts truncated chunks, absurd byte lengths, node cycles, out-of-range indices
and infinite positions without complaint, so the broker checks them itself — and checks
what the file would cost the renderer, from its declarations, before anything is decoded:
accessor data, triangles, vertices, texture pixels (docs/api.md, "Model limits"). The file
is read by the asset reader the renderer loads with (:mod:`exchange`), so its framing,
buffers, ZIP members and textures are judged by the same rules at upload and at render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broker.ingest.errors import ModelInvalid
from broker.ingest.gltf_accessors import Accessors
from broker.ingest.gltf_structure import (
    check_scene_draws,
    check_structure,
    drawn_triangles,
)
from exchange.blobs import Blob
from exchange.gltf import GltfContainer, check_file_size, gltf_in_zip, read_gltf
from exchange.json_fields import index, integer, objects
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel
from exchange.textures import check_textures
from exchange.uris import NoFiles
from workers.model_support import undrawable_required_extensions

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6
# Data of these is compressed in the buffer and checked by the decoder at render time.
COMPRESSED_PRIMITIVE_EXT = "KHR_draco_mesh_compression"
# Attributes the renderer reads; each must have one element per vertex and finite values.
VERTEX_ATTRIBUTES = (
    "NORMAL",
    "TANGENT",
    "TEXCOORD_0",
    "TEXCOORD_1",
    "COLOR_0",
    "JOINTS_0",
    "WEIGHTS_0",
)


def _triangles(mode: int, count: int) -> int:
    """Triangles the renderer draws from ``count`` indices (points and lines: none)."""
    if mode == TRIANGLES:
        return count // 3
    return max(count - 2, 0) if mode in (TRIANGLE_STRIP, TRIANGLE_FAN) else 0


def _check_meshes(
    doc: dict[str, Any], accessors: Accessors, limits: AssetLimits
) -> tuple[list[int], list[int]]:
    """Validate primitives; returns each mesh's triangles as the renderer's limit counts
    them (an upper bound, from declared counts) and as it draws them."""
    meshes = objects(doc, "meshes")
    n_materials = len(objects(doc, "materials"))
    triangles: list[int] = []
    drawn: list[int] = []
    vertices = 0
    for m, mesh in enumerate(meshes):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not prims or not all(isinstance(p, dict) for p in prims):
            raise ModelInvalid(f"meshes[{m}] has no primitives")
        tris = drawable = 0
        for p, prim in enumerate(prims):
            what = f"meshes[{m}].primitives[{p}]"
            attrs = prim.get("attributes")
            if not isinstance(attrs, dict) or "POSITION" not in attrs:
                raise ModelInvalid(f"{what} has no POSITION attribute")
            for name, idx in attrs.items():
                index(idx, accessors.accessors, f"{what}.attributes.{name}")
            if "indices" in prim:
                index(prim["indices"], accessors.accessors, f"{what}.indices")
            mode = integer(prim.get("mode", 4), f"{what}.mode", 0, 6)
            if "material" in prim:
                index(prim["material"], [None] * n_materials, f"{what}.material")
            targets = prim.get("targets", [])
            if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
                raise ModelInvalid(f"{what}.targets must be an array of objects")
            if len(targets) > limits.max_morph_targets:
                raise ModelInvalid(
                    f"{what} has {len(targets)} morph targets (at most {limits.max_morph_targets})"
                )
            n = accessors.count(attrs["POSITION"])
            vertices += n
            count = accessors.count(prim["indices"]) if "indices" in prim else n
            tris += count // 3 if mode == TRIANGLES else count
            drawable += _triangles(mode, count)
            if COMPRESSED_PRIMITIVE_EXT in prim.get("extensions", {}):
                continue
            _check_vertex_data(what, attrs, targets, prim.get("indices"), n, accessors)
        triangles.append(tris)
        drawn.append(drawable)
    if vertices > limits.max_vertices:
        raise ModelInvalid(
            f"the model has {vertices:,} vertices; the limit is {limits.max_vertices:,}"
        )
    return triangles, drawn


def _check_vertex_data(
    what: str,
    attrs: dict[str, Any],
    targets: list[dict[str, Any]],
    indices: int | None,
    n: int,
    accessors: Accessors,
) -> None:
    accessors.check_finite(attrs["POSITION"], f"{what} POSITION (vertex positions)")
    per_vertex = [(f"attributes.{k}", attrs[k]) for k in VERTEX_ATTRIBUTES if k in attrs]
    for t, target in enumerate(targets):
        for key in ("POSITION", "NORMAL"):
            if key in target:
                idx = index(target[key], accessors.accessors, f"{what}.targets[{t}].{key}")
                per_vertex.append((f"targets[{t}].{key}", idx))
    for name, idx in per_vertex:
        if accessors.count(idx) != n:
            raise ModelInvalid(
                f"{what}.{name} has {accessors.count(idx):,} elements but the primitive has "
                f"{n:,} vertices"
            )
        accessors.check_finite(idx, f"{what}.{name}")
    if indices is not None and accessors.max_value(indices) >= n:
        raise ModelInvalid(
            f"{what} has an index {accessors.max_value(indices)} past its {n} vertices"
        )


def check_document(container: GltfContainer, limits: AssetLimits) -> None:
    doc = container.document
    undrawable = undrawable_required_extensions(doc)
    if undrawable:
        raise ModelInvalid(
            f"the model requires {', '.join(undrawable)}, which meshfarm cannot render"
        )
    accessors = Accessors(container, limits)
    check_structure(doc, accessors, limits)
    triangles, drawable = _check_meshes(doc, accessors, limits)
    if not triangles:
        raise ModelInvalid("the model has no geometry (no mesh primitives)")
    check_scene_draws(doc)
    if not drawn_triangles(doc, drawable):
        raise ModelInvalid("the model has no triangles to draw (only points or lines)")
    drawn = drawn_triangles(doc, triangles)
    if drawn > limits.max_triangles:
        raise ModelInvalid(
            f"the model draws {drawn:,} triangles; the limit is {limits.max_triangles:,}"
        )
    check_textures(container, limits)


def check_gltf_file(path: Path, limits: AssetLimits, *, binary: bool | None = None) -> None:
    """Validate a GLB (``binary``, default: by suffix) or a .gltf with embedded data."""
    size = check_file_size(path, limits)
    binary = path.suffix.lower() == ".glb" if binary is None else binary
    container = read_gltf(Blob(size, path=path), path.name, limits, binary=binary, files=NoFiles())
    check_document(container, limits)


def check_gltf_zip(archive: ZipModel, limits: AssetLimits, work: Path) -> None:
    """Validate the archive's .gltf or .glb, its files extracted under ``work``."""
    check_document(gltf_in_zip(archive, limits, work), limits)

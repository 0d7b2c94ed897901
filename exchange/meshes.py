"""Meshes: primitives that reference what exists, of the types the renderer reads, with
one element per vertex and finite values — and what they cost in triangles and vertices.

Counts come from the declarations before any value is read, so a model over the triangle
or vertex limit is refused unread (:func:`check_size`; the triangles of a mesh count once
per node that draws it, and once per instance of an EXT_mesh_gpu_instancing node). Data
compressed with KHR_draco_mesh_compression is checked by its decoder when the renderer
reads it; only its declarations are checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from exchange.accessor_data import AccessorData
from exchange.accessors import declared_count
from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from exchange.extensions import extension
from exchange.json_fields import index, integer, numbers, object_list, objects
from exchange.limits import AssetLimits
from exchange.nodes import check_scene_draws

POINTS, TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 0, 4, 5, 6
DRACO = "KHR_draco_mesh_compression"
ATTRIBUTE_TYPES = {
    "POSITION": ("VEC3",),
    "NORMAL": ("VEC3",),
    "TANGENT": ("VEC4",),
    "TEXCOORD_0": ("VEC2",),
    "TEXCOORD_1": ("VEC2",),
    "COLOR_0": ("VEC3", "VEC4"),
    "JOINTS_0": ("VEC4",),
    "WEIGHTS_0": ("VEC4",),
}
"""The attributes the renderer reads, each with the accessor types it may have."""
PER_VERTEX = tuple(k for k in ATTRIBUTE_TYPES if k != "POSITION")
"""Those checked to have one element per POSITION."""
TARGET_ATTRIBUTES = ("POSITION", "NORMAL")
"""The morph target attributes the renderer reads (both VEC3)."""
INDEX_TYPES = (5121, 5123, 5125)


@dataclass(frozen=True)
class MeshCounts:
    triangles: list[int]
    """Per mesh, as the triangle limit counts them: indices / 3, or the index count of a
    primitive of another mode (an upper bound from declared counts)."""
    drawable: list[int]
    """Per mesh, the triangles the renderer draws (points and lines: none)."""
    vertices: int


def primitives(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``meshes[m].primitives[p]``, the primitive) of a document :func:`mesh_counts`
    accepted."""
    for m, mesh in enumerate(doc.get("meshes", [])):
        for p, prim in enumerate(mesh["primitives"]):
            yield f"meshes[{m}].primitives[{p}]", prim


def mesh_counts(doc: dict[str, Any], limits: AssetLimits) -> MeshCounts:
    """The meshes' references checked, and their counts from the declarations."""
    accessors, materials = objects(doc, "accessors"), objects(doc, "materials")
    triangles: list[int] = []
    drawable: list[int] = []
    vertices = 0
    for m, mesh in enumerate(objects(doc, "meshes")):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not prims or not all(isinstance(p, dict) for p in prims):
            raise AssetInvalid(f"meshes[{m}] has no primitives")
        if "weights" in mesh:
            numbers(mesh["weights"], None, f"meshes[{m}].weights")
        tris = drawn = 0
        for p, prim in enumerate(prims):
            what = f"meshes[{m}].primitives[{p}]"
            attrs = prim.get("attributes")
            if not isinstance(attrs, dict) or "POSITION" not in attrs:
                raise AssetInvalid(f"{what} has no POSITION attribute")
            for name, idx in attrs.items():
                index(idx, accessors, f"{what}.attributes.{name}")
            if "indices" in prim:
                index(prim["indices"], accessors, f"{what}.indices")
            mode = integer(prim.get("mode", TRIANGLES), f"{what}.mode", POINTS, TRIANGLE_FAN)
            if "material" in prim:
                index(prim["material"], materials, f"{what}.material")
            targets = object_list(prim.get("targets", []), f"{what}.targets")
            if len(targets) > limits.max_morph_targets:
                raise AssetUnsupported(
                    f"{what} has {len(targets)} morph targets (at most {limits.max_morph_targets})"
                )
            for t, target in enumerate(targets):
                for key in TARGET_ATTRIBUTES:
                    if key in target:
                        index(target[key], accessors, f"{what}.targets[{t}].{key}")
            n = declared_count(doc, attrs["POSITION"], limits)
            vertices += n
            count = declared_count(doc, prim["indices"], limits) if "indices" in prim else n
            tris += count // 3 if mode == TRIANGLES else count
            drawn += _drawn(mode, count)
        triangles.append(tris)
        drawable.append(drawn)
    return MeshCounts(triangles, drawable, vertices)


def _drawn(mode: int, count: int) -> int:
    """Triangles the renderer draws from ``count`` indices (points and lines: none)."""
    if mode == TRIANGLES:
        return count // 3
    return max(count - 2, 0) if mode in (TRIANGLE_STRIP, TRIANGLE_FAN) else 0


def check_size(
    doc: dict[str, Any], counts: MeshCounts, copies: dict[int, int], limits: AssetLimits
) -> None:
    """The vertex limit, and the triangle limit over every node's mesh (``copies``: how
    many times an instancing node draws its mesh)."""
    if counts.vertices > limits.max_vertices:
        raise AssetTooLarge(
            f"the model has {counts.vertices:,} vertices; the limit is {limits.max_vertices:,}"
        )
    drawn = sum(
        counts.triangles[node["mesh"]] * copies.get(i, 1)
        for i, node in enumerate(doc.get("nodes", []))
        if "mesh" in node
    )
    if drawn > limits.max_triangles:
        raise AssetTooLarge(
            f"the model draws {drawn:,} triangles; the limit is {limits.max_triangles:,}"
        )


def check_drawable(doc: dict[str, Any], counts: MeshCounts) -> None:
    """The scene draws a mesh (:func:`exchange.nodes.check_scene_draws`), and some node's
    mesh has triangles (not only points or lines)."""
    if not counts.triangles:
        raise AssetInvalid("the model has no geometry (no mesh primitives)")
    check_scene_draws(doc)
    if not any(counts.drawable[n["mesh"]] for n in doc.get("nodes", []) if "mesh" in n):
        raise AssetInvalid("the model has no triangles to draw (only points or lines)")


def _per_vertex(prim: dict[str, Any]) -> list[tuple[str, int]]:
    """The accessors the renderer reads one element per vertex from, by name."""
    attrs = prim["attributes"]
    named = [(f"attributes.{k}", attrs[k]) for k in PER_VERTEX if k in attrs]
    for t, target in enumerate(prim.get("targets", [])):
        named += [(f"targets[{t}].{k}", target[k]) for k in TARGET_ATTRIBUTES if k in target]
    return named


def check_primitives(doc: dict[str, Any], data: AccessorData) -> None:
    """Attribute and index types; one element per vertex (uncompressed primitives)."""
    for what, prim in primitives(doc):
        attrs = prim["attributes"]
        for name, kinds in ATTRIBUTE_TYPES.items():
            if name in attrs and data.kind(attrs[name]) not in kinds:
                raise AssetInvalid(f"{what}.attributes.{name} must be a {' or '.join(kinds)}")
        for t, target in enumerate(prim.get("targets", [])):
            for key in TARGET_ATTRIBUTES:
                if key in target and data.kind(target[key]) != "VEC3":
                    raise AssetInvalid(f"{what}.targets[{t}].{key} must be a VEC3")
        if "indices" in prim:
            component = data.accessors[prim["indices"]]["componentType"]
            if data.kind(prim["indices"]) != "SCALAR" or component not in INDEX_TYPES:
                raise AssetInvalid(f"{what}.indices must be a SCALAR of unsigned integers")
        draco = extension(prim, DRACO, what)
        if draco is not None:
            _check_draco(doc, draco, f"{what}.extensions.{DRACO}")
            continue
        n = data.count(attrs["POSITION"])
        for name, i in _per_vertex(prim):
            if data.count(i) != n:
                raise AssetInvalid(
                    f"{what}.{name} has {data.count(i):,} elements but the primitive has "
                    f"{n:,} vertices"
                )


def _check_draco(doc: dict[str, Any], draco: dict[str, Any], what: str) -> None:
    index(draco.get("bufferView"), objects(doc, "bufferViews"), f"{what}.bufferView")
    attrs = draco.get("attributes")
    if not isinstance(attrs, dict) or "POSITION" not in attrs:
        raise AssetInvalid(f"{what}.attributes must name the Draco attribute of POSITION")
    for name, unique_id in attrs.items():
        integer(unique_id, f"{what}.attributes.{name}")


def check_vertex_values(doc: dict[str, Any], data: AccessorData) -> None:
    """Finite positions and attributes, indices inside the vertices (uncompressed)."""
    for what, prim in primitives(doc):
        if DRACO in prim.get("extensions", {}):
            continue
        position = prim["attributes"]["POSITION"]
        data.check_finite(position, f"{what} POSITION (vertex positions)")
        for name, i in _per_vertex(prim):
            data.check_finite(i, f"{what}.{name}")
        n = data.count(position)
        if "indices" in prim and data.max_value(prim["indices"]) >= n:
            raise AssetInvalid(
                f"{what} has an index {data.max_value(prim['indices'])} past its {n} vertices"
            )

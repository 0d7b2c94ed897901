"""ufbx's reading of one FBX as JSON on stdout (``python -I fbx_probe.py <file.fbx>``), for
:func:`health.validators.fbx.check_fbx`.

A script run in a child interpreter, not a module health imports: ufbx 0.0.5's Python
bindings crash the interpreter when some of a scene's wrappers are freed (the context's
reference count drops to zero under the others), so the child frees none (:func:`_kept`,
no garbage collection), prints and leaves with ``os._exit``; a crash of the child is a
failed check, never a dead worker. No external file is opened: a texture counts
as embedded only if its image bytes are in the FBX.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import ufbx

_KEPT: list[Any] = []


def _kept(wrapper: Any) -> Any:
    """``wrapper``, never freed: ufbx 0.0.5's wrappers under-count their references to the
    scene's context, so freeing them frees it while others still point into it."""
    _KEPT.append(wrapper)
    return wrapper


def _textures(scene: Any) -> tuple[list[str], list[str]]:
    """The file textures the materials use (a layered texture by its layers), split by
    whether their image bytes are in the file."""
    seen: dict[int, Any] = {}
    for material in _kept(_kept(scene.materials)):
        for slot in _kept(_kept(material.textures)):
            texture = _kept(slot.texture)
            for file in _kept(list(_kept(texture.file_textures))) or [texture]:
                seen.setdefault(int(file.element_id), file)
    embedded = sorted(t.name for t in seen.values() if len(t.content) > 0)
    missing = sorted(t.name for t in seen.values() if len(t.content) == 0)
    return embedded, missing


def _bounds(instances: list[Any]) -> list[list[float]] | None:
    """The world box of every mesh instance (its geometry-to-world matrix applied)."""
    lows, highs = [], []
    for node in instances:
        values = _kept(_kept(_kept(node.mesh).vertex_position).values)
        points = np.array([tuple(v) for v in values], dtype=np.float64)
        if not len(points):
            continue
        m = _kept(node.geometry_to_world)
        linear = np.array([tuple(m.c0), tuple(m.c1), tuple(m.c2)], dtype=np.float64).T
        world = points @ linear.T + np.array(tuple(m.c3))
        lows.append(world.min(axis=0))
        highs.append(world.max(axis=0))
    if not lows:
        return None
    return [np.min(lows, axis=0).tolist(), np.max(highs, axis=0).tolist()]


def _axis_name(axis: Any) -> str:
    sign, _, letter = axis.name.partition("_")  # POSITIVE_Y → +Y
    return ("+" if sign == "POSITIVE" else "-") + letter


def probe(path: str) -> dict[str, Any]:
    try:
        found_version = version("ufbx")
    except PackageNotFoundError:
        found_version = "unknown"
    empty: dict[str, Any] = {
        "version": found_version,
        "meshes": 0,
        "triangles": 0,
        "materials": 0,
        "textures_embedded": [],
        "textures_missing": [],
        "up_axis": "",
        "unit_meters": 0.0,
        "bounds": None,
    }
    try:
        scene = ufbx.load_file(path, load_external_files=False)
    except ufbx.UfbxError as exc:
        return {**empty, "errors": [f"ufbx: {exc}"]}
    instances = [_kept(n) for n in _kept(scene.nodes) if _kept(n.mesh) is not None]
    settings = _kept(scene.settings)
    embedded, missing = _textures(scene)
    return {
        **empty,
        "meshes": len(instances),
        "triangles": sum(int(_kept(n.mesh).num_triangles) for n in instances),
        "materials": len(_kept(scene.materials)),
        "textures_embedded": embedded,
        "textures_missing": missing,
        "up_axis": _axis_name(_kept(settings.axes).up),
        "unit_meters": float(settings.unit_meters),
        "bounds": _bounds(instances),
        "errors": [],
    }


if __name__ == "__main__":
    gc.disable()  # a collection may free a wrapper ufbx still points at
    sys.stdout.write(json.dumps(probe(sys.argv[1])))
    sys.stdout.flush()
    os._exit(0)

"""Blender's own conversion of one model to each target, with its importers' and
exporters' defaults — the peer that bench/convert_bench.py measures meshfarm against.

Run by the Python that has bpy (one process per model):

    .venv-blender/bin/python bench/blender_convert.py -- <model> <out_dir> glb,usdz,usdc,usda

Prints one JSON line: Blender's start-up seconds and, per target, the output path and the
milliseconds of import + export in a fresh empty scene, or why it failed. A ZIP (glTF or
OBJ with its files) or .zae is unpacked beside the output first (Blender reads neither).
The only change to Blender: the FBX importer of 5.0 sets ``light.cycles.cast_shadow``,
which 5.0 removed, so every FBX with a light fails; a stand-in property lets it through.
"""

from __future__ import annotations

import json
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

STARTED = time.monotonic()
import bpy  # noqa: E402  (after the clock: its import is Blender's start-up)

READY = time.monotonic()
MODEL_SUFFIXES = (".gltf", ".glb", ".obj", ".dae")


def _importer(path: Path) -> Any:
    suffix = path.suffix.lower()
    ops = {
        ".glb": bpy.ops.import_scene.gltf,
        ".gltf": bpy.ops.import_scene.gltf,
        ".fbx": bpy.ops.import_scene.fbx,
        ".obj": bpy.ops.wm.obj_import,
        ".stl": bpy.ops.wm.stl_import,
        ".ply": bpy.ops.wm.ply_import,
        ".usd": bpy.ops.wm.usd_import,
        ".usda": bpy.ops.wm.usd_import,
        ".usdc": bpy.ops.wm.usd_import,
        ".usdz": bpy.ops.wm.usd_import,
    }
    if suffix == ".dae":
        if "collada_import" not in dir(bpy.ops.wm):
            raise RuntimeError("this Blender has no COLLADA importer (removed in 5.0)")
        return bpy.ops.wm.collada_import
    if suffix not in ops:
        raise RuntimeError(f"Blender has no importer for {suffix}")
    return ops[suffix]


def _unpacked(path: Path, out_dir: Path) -> Path:
    if path.suffix.lower() not in (".zip", ".zae"):
        return path
    folder = out_dir / "unpacked"
    with zipfile.ZipFile(path) as z:
        z.extractall(folder)
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in MODEL_SUFFIXES and "__MACOSX" not in p.parts
    ]
    if len(found) != 1:
        raise RuntimeError(f"the archive holds {len(found)} models")
    return found[0]


def _shim_fbx_lights() -> None:
    light = bpy.data.lights.new("probe", "POINT")
    settings = getattr(light, "cycles", None)
    if settings is not None and "cast_shadow" not in settings.bl_rna.properties:
        type(settings).cast_shadow = bpy.props.BoolProperty()
    bpy.data.lights.remove(light)


def _export(target: str, dest: Path) -> None:
    if target == "glb":
        done = bpy.ops.export_scene.gltf(filepath=str(dest), export_format="GLB")
    else:
        done = bpy.ops.wm.usd_export(filepath=str(dest))
    if done != {"FINISHED"} or not dest.is_file():
        raise RuntimeError("the exporter wrote nothing")


def convert(model: Path, out_dir: Path, target: str) -> dict[str, Any]:
    dest = out_dir / f"blender.{target}"
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _shim_fbx_lights()
    started = time.monotonic()
    try:
        source = _unpacked(model, out_dir)
        if _importer(source)(filepath=str(source)) != {"FINISHED"}:
            raise RuntimeError("the importer refused the file")
        if not any(o.type == "MESH" for o in bpy.data.objects):
            raise RuntimeError("the import holds no mesh")
        _export(target, dest)
    except Exception as exc:  # any importer or exporter failure is a result here
        lines = [ln for ln in str(exc).strip().splitlines() if not ln.startswith("Location:")]
        return {"target": target, "error": (lines[-1:] or [type(exc).__name__])[0][:160]}
    return {"target": target, "ms": (time.monotonic() - started) * 1000, "path": str(dest)}


def main() -> None:
    args = sys.argv[sys.argv.index("--") + 1 :]
    model, out_dir, targets = Path(args[0]), Path(args[1]), args[2].split(",")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [convert(model, out_dir, t) for t in targets]
    sys.stdout.flush()
    line = json.dumps({"startup_s": READY - STARTED, "results": results})
    os.write(1, b"\nRESULT " + line.encode() + b"\n")


if __name__ == "__main__":
    main()

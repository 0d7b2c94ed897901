"""OBJ scans (OBJ + MTL + textures) to GLB, as dx.gl does on upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from broker.ingest.gltf_check import ModelInvalid


def obj_to_glb(obj_path: Path, out_path: Path) -> None:
    """Convert with trimesh; materials get roughness 1.0 for the matte look of a scan."""
    import trimesh
    from trimesh.visual.material import PBRMaterial

    try:
        scene: Any = trimesh.load(obj_path, force="scene", process=False)
    except Exception as exc:
        raise ModelInvalid(f"OBJ file cannot be read: {exc}") from exc
    meshes = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh)]
    if not meshes or all(len(m.faces) == 0 for m in meshes):
        raise ModelInvalid("the OBJ has no faces")
    for mesh in meshes:
        if not np.isfinite(mesh.vertices).all():
            raise ModelInvalid("the OBJ has NaN or infinite vertex positions")
        visual: Any = mesh.visual
        material = getattr(visual, "material", None)
        if material is None:
            continue
        pbr = material.to_pbr() if hasattr(material, "to_pbr") else material
        if isinstance(pbr, PBRMaterial):
            pbr.roughnessFactor = 1.0
            pbr.metallicFactor = 0.0
            visual.material = pbr
    out_path.write_bytes(scene.export(file_type="glb"))

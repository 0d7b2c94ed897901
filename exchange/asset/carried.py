"""What each target can hold of an asset: a round trip compares the re-read output with
this, and says apart what the format itself drops (OBJ's MTL has no occlusion or packed
metal/roughness map, nor does the FBX Blender writes; STL holds triangles only), so a loss
by design is reported as such and a loss by a bug still fails."""

from __future__ import annotations

import copy
import dataclasses

from exchange.asset.model import Asset

OBJ_DROPS = ("occlusion_texture", "metallic_roughness_texture")
PACKED_MAPS_DROPPED = {
    "obj": "OBJ's MTL holds no occlusion or metal/roughness map",
    "fbx": "Blender's FBX exporter writes no occlusion or packed metal/roughness map",
}
"""Targets that keep base colour, emissive and normal maps but not glTF's packed ones."""


def carried(asset: Asset, target: str) -> tuple[Asset, list[str]]:
    """``asset`` as ``target`` can hold it, and what it drops, in words for the report."""
    if target == "stl":
        kept = copy.deepcopy(asset)
        had = len(kept.materials), len(kept.textures())
        kept.materials = []
        for mesh in kept.meshes:
            mesh.primitives = [dataclasses.replace(p, material=None) for p in mesh.primitives]
        if not any(had):
            return kept, []
        return kept, [f"STL holds no materials: {had[0]} materials, {had[1]} textures dropped"]
    if target in PACKED_MAPS_DROPPED:
        kept = copy.deepcopy(asset)
        before = len(kept.textures())
        for material in kept.materials:
            for slot in OBJ_DROPS:
                setattr(material, slot, None)
        dropped = before - len(kept.textures())
        if not dropped:
            return kept, []
        return kept, [f"{PACKED_MAPS_DROPPED[target]}: {dropped} textures dropped"]
    return asset, []

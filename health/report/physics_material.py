"""The physics material a game engine would assign, guessed from the materials.

The material that covers most triangles decides. Its name is searched (case-insensitive,
in the order of ``NAME_KEYWORDS``) for a keyword; without one its PBR values decide:
metallic ≥ 0.5 is metal, base alpha < 0.5 with roughness < 0.3 is glass, anything else
plastic. docs/health.md carries the same table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from exchange.asset.model import Asset, Material

NAME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("metal", ("metal", "steel", "iron", "chrome", "gold", "silver", "alumin", "copper", "brass")),
    ("wood", ("wood", "oak", "plank", "pine", "walnut", "timber")),
    ("glass", ("glass", "window", "crystal")),
    ("fabric", ("fabric", "cloth", "cotton", "leather", "textile", "wool")),
    ("rubber", ("rubber", "tire", "tyre")),
    ("ceramic", ("ceramic", "porcelain", "tile")),
    ("stone", ("stone", "marble", "concrete", "rock", "granite", "brick")),
    ("plastic", ("plastic",)),
)
METALLIC_METAL = 0.5
GLASS_ALPHA = 0.5
GLASS_ROUGHNESS = 0.3


@dataclass(frozen=True)
class PhysicsMaterial:
    kind: str
    reason: str


def infer_physics_material(asset: Asset) -> PhysicsMaterial:
    covered: Counter[int] = Counter()
    for _, prim in asset.placed():
        if prim.material is not None:
            covered[prim.material] += len(prim.indices)
    if not covered:
        return PhysicsMaterial("plastic", "no material: the default")
    index, triangles = covered.most_common(1)[0]
    share = 100 * triangles / max(1, sum(covered.values()))
    material = asset.materials[index]
    kind, why = classify(material)
    label = material.name or f"#{index}"
    return PhysicsMaterial(kind, f"material '{label}' ({share:.0f}% of triangles): {why}")


def classify(material: Material) -> tuple[str, str]:
    name = material.name.lower()
    for kind, words in NAME_KEYWORDS:
        for word in words:
            if word in name:
                return kind, f"its name contains '{word}'"
    if material.metallic >= METALLIC_METAL:
        return "metal", f"metallic {material.metallic:g} ≥ {METALLIC_METAL:g}"
    alpha = material.base_color[3]
    if alpha < GLASS_ALPHA and material.roughness < GLASS_ROUGHNESS:
        return "glass", (
            f"base alpha {alpha:g} < {GLASS_ALPHA:g} and roughness "
            f"{material.roughness:g} < {GLASS_ROUGHNESS:g}"
        )
    return "plastic", "no name keyword, not metallic, not transparent: the default"

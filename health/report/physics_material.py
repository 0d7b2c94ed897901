"""The physics material a game engine would assign, guessed from the materials.

The material that covers most triangles decides. Its name is searched (case-insensitive,
in the order of ``NAME_KEYWORDS``) for a keyword; without one its PBR values decide:
metallic ≥ 0.5 is metal, base alpha < 0.5 with roughness < 0.3 is glass, anything else
plastic. The values are the effective ones: a factor times its texture's mean (metallic:
the metallic-roughness map's blue channel, roughness: its green, alpha: the base colour
map's alpha), as a renderer would multiply them. docs/health.md carries the same table.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image

from exchange.asset.model import Asset, Material, Texture

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
SAMPLE_SIDE = 256
"""Textures are averaged at most this size (the mean barely moves; the time does)."""


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
    mr = material.metallic_roughness_texture
    metallic = material.metallic * _mean(mr, 2)
    roughness = material.roughness * _mean(mr, 1)
    alpha = material.base_color[3] * _mean(material.base_color_texture, 3)
    if metallic >= METALLIC_METAL:
        return "metal", f"metallic {metallic:.2g} ≥ {METALLIC_METAL:g}"
    if alpha < GLASS_ALPHA and roughness < GLASS_ROUGHNESS:
        return "glass", (
            f"base alpha {alpha:.2g} < {GLASS_ALPHA:g} and roughness "
            f"{roughness:.2g} < {GLASS_ROUGHNESS:g}"
        )
    return "plastic", "no name keyword, not metallic, not transparent: the default"


def _mean(texture: Texture | None, channel: int) -> float:
    """The texture's mean in ``channel`` (0..1, RGBA order); 1 (the factor alone) without
    a texture or one that cannot be decoded."""
    if texture is None:
        return 1.0
    try:
        with Image.open(io.BytesIO(texture.data)) as image:
            image.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
            pixels = np.asarray(image.convert("RGBA"), dtype=np.float64)
    except Exception:
        return 1.0
    return float(pixels[..., channel].mean() / 255)

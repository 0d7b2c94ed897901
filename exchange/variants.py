"""KHR_materials_variants: the document's named variants and each primitive's mappings.

A variant is an object with a string ``name`` (the spec requires one: a render asks for a
variant by it, and the broker lists them when one is missing); a mapping names a material
that exists and variants that exist. The upload did not check the mappings, so a model
the renderer refused was charged first.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid
from exchange.extensions import extension
from exchange.json_fields import index, object_list, objects
from exchange.meshes import primitives

VARIANTS = "KHR_materials_variants"


def variant_names(doc: dict[str, Any]) -> list[str]:
    """The variants' names, in order (``[]`` without the extension)."""
    ext = extension(doc, VARIANTS, "the document") or {}
    variants = object_list(ext.get("variants", []), f"extensions.{VARIANTS}.variants")
    names: list[str] = []
    for i, variant in enumerate(variants):
        name = variant.get("name")
        if not isinstance(name, str):
            raise AssetInvalid(f"extensions.{VARIANTS}.variants[{i}].name must be a string")
        names.append(name)
    return names


def mappings(prim: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """A primitive's mappings (``[]`` without the extension)."""
    ext = extension(prim, VARIANTS, what) or {}
    return object_list(ext.get("mappings", []), f"{what}.extensions.{VARIANTS}.mappings")


def check_variants(doc: dict[str, Any]) -> None:
    names = variant_names(doc)
    materials = objects(doc, "materials")
    for what, prim in primitives(doc):
        for k, mapping in enumerate(mappings(prim, what)):
            at = f"{what}.extensions.{VARIANTS}.mappings[{k}]"
            index(mapping.get("material"), materials, f"{at}.material")
            variants = mapping.get("variants", [])
            if not isinstance(variants, list):
                raise AssetInvalid(f"{at}.variants must be an array")
            for v in variants:
                index(v, names, f"{at}.variants")

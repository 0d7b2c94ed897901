"""KHR_lights_punctual: the document's lights and the nodes that hold them.

The rules are the renderer's (which the upload did not apply, so a model with a negative
intensity was charged and then failed): a light is ``directional``, ``point`` or ``spot``;
its colour three numbers, its intensity a number >= 0, its range (if any) > 0; a spot's
cone angles satisfy 0 <= inner < outer <= π/2 (defaults 0 and π/4); a node names a light
that exists.
"""

from __future__ import annotations

import math
from typing import Any

from exchange.errors import AssetInvalid
from exchange.extensions import extension
from exchange.json_fields import index, member, number, numbers, object_list, objects

LIGHTS = "KHR_lights_punctual"
KINDS = ("directional", "point", "spot")
INNER_CONE, OUTER_CONE = 0.0, math.pi / 4
"""The spec's default cone angles."""


def lights(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's light objects (``[]`` without the extension)."""
    ext = extension(doc, LIGHTS, "the document") or {}
    return object_list(ext.get("lights", []), f"extensions.{LIGHTS}.lights")


def check_lights(doc: dict[str, Any]) -> None:
    found = lights(doc)
    for i, light in enumerate(found):
        _check_light(light, f"extensions.{LIGHTS}.lights[{i}]")
    for n, node in enumerate(objects(doc, "nodes")):
        what = f"nodes[{n}]"
        ext = extension(node, LIGHTS, what)
        if ext is not None and "light" in ext:
            index(ext["light"], found, f"{what}.extensions.{LIGHTS}.light")


def _check_light(light: dict[str, Any], what: str) -> None:
    kind = light.get("type")
    if kind not in KINDS:
        raise AssetInvalid(f"{what}.type {kind!r} is not one of {', '.join(KINDS)}")
    if "color" in light:
        numbers(light["color"], 3, f"{what}.color")
    number(light.get("intensity", 1.0), f"{what}.intensity", 0)
    if "range" in light:
        number(light["range"], f"{what}.range", 0, above=True)
    spot = member(light, "spot", what)
    inner = number(spot.get("innerConeAngle", INNER_CONE), f"{what}.spot.innerConeAngle")
    outer = number(spot.get("outerConeAngle", OUTER_CONE), f"{what}.spot.outerConeAngle")
    if kind == "spot" and not 0 <= inner < outer <= math.pi / 2:
        raise AssetInvalid(
            f"{what}.spot has cone angles {inner:g} and {outer:g}; they must satisfy "
            "0 <= inner < outer <= π/2"
        )

"""Physics materials: what an asset is made of, and the density, friction and
restitution that go with it.

``PROPERTIES`` holds one row per kind. Densities are bulk engineering values for the
common material of the kind (the row's ``source``); frictions are the material against
itself, dry (engines combine the two bodies' values, so a like-on-like figure is the
neutral choice); restitutions are plausible drop-test figures kept below 0.8, since a
bouncier contact makes a simulation jitter. A kind of object that is mostly air (a
cushion, a foam block) carries the object's bulk density, not its fibre's.

Who says what the asset is made of is a :class:`MaterialProvider`: the default
:class:`HeuristicProvider` uses :func:`health.report.infer_physics_material` (material
names, then PBR values and texture statistics), the one classifier of the project; an LLM
provider (:mod:`workers.material_llm`) may name any kind of ``PROPERTIES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from exchange.asset.model import Asset
from health.report import infer_physics_material
from physics.model import PhysicsMaterial


@dataclass(frozen=True)
class MaterialProperties:
    density: float
    """kg/m³."""
    static_friction: float
    dynamic_friction: float
    restitution: float
    source: str
    """The material the figures are for, and where they come from."""


PROPERTIES: dict[str, MaterialProperties] = {
    "metal": MaterialProperties(
        7850, 0.74, 0.57, 0.6, "structural steel (EN 10025); steel on steel, dry"
    ),
    "wood": MaterialProperties(
        700, 0.5, 0.3, 0.5, "oak 750, pine 500 kg/m³; wood on wood, clean 0.25-0.5"
    ),
    "plastic": MaterialProperties(
        1050, 0.4, 0.3, 0.5, "ABS 1040-1060 kg/m³ (PP 905, PVC 1380); plastic on plastic"
    ),
    "rubber": MaterialProperties(
        1100, 1.0, 0.8, 0.7, "natural rubber 920, tyre compound 1100-1200 kg/m³; on dry concrete"
    ),
    "glass": MaterialProperties(
        2500, 0.9, 0.4, 0.6, "soda-lime glass 2500 kg/m³; glass on glass, clean 0.9-1.0"
    ),
    "ceramic": MaterialProperties(
        2400, 0.5, 0.4, 0.5, "porcelain 2300-2500 kg/m³; glazed ceramic on ceramic"
    ),
    "stone": MaterialProperties(
        2600, 0.7, 0.6, 0.3, "granite 2700, marble 2700, concrete 2400 kg/m³; stone on stone"
    ),
    "fabric": MaterialProperties(
        300, 0.6, 0.5, 0.1, "a stuffed or folded textile object's bulk (cotton fibre 1540)"
    ),
    "paper": MaterialProperties(
        700, 0.5, 0.4, 0.2, "paper 700-1150, solid cardboard 690 kg/m³; paper on paper"
    ),
    "food": MaterialProperties(
        1000, 0.5, 0.4, 0.2, "fruit, vegetables, bread: near water's 1000 kg/m³"
    ),
    "foam": MaterialProperties(50, 0.8, 0.6, 0.2, "polyurethane foam 30-100 kg/m³"),
}


class MaterialProvider(Protocol):
    name: str

    def identify(self, asset: Asset) -> PhysicsMaterial: ...


class UnknownProvider(ValueError):
    pass


def physics_material(kind: str, provider: str, reason: str) -> PhysicsMaterial:
    """``kind``'s row of ``PROPERTIES`` as the material ``provider`` identified."""
    row = PROPERTIES[kind]
    return PhysicsMaterial(
        kind=kind,
        density=row.density,
        static_friction=row.static_friction,
        dynamic_friction=row.dynamic_friction,
        restitution=row.restitution,
        provider=provider,
        reason=reason,
    )


class HeuristicProvider:
    """The material covering most triangles decides, by name, then PBR values
    (:mod:`health.report.physics_material`)."""

    name = "heuristic"

    def identify(self, asset: Asset) -> PhysicsMaterial:
        found = infer_physics_material(asset)
        return physics_material(found.kind, self.name, found.reason)


DEFAULT_NAMES = ("default", "heuristic")


def provider_named(name: str | None, extra: Mapping[str, MaterialProvider]) -> MaterialProvider:
    """The provider a request names: none, ``default`` or ``heuristic`` is the heuristic;
    otherwise one of ``extra`` (the configured ones)."""
    if name is None or name in DEFAULT_NAMES:
        return HeuristicProvider()
    if name in extra:
        return extra[name]
    known = ", ".join([*DEFAULT_NAMES, *sorted(extra)])
    raise UnknownProvider(f"unknown material provider '{name}': known are {known}")

"""physics.materials: the table, the heuristic provider, choosing a provider by name."""

from __future__ import annotations

import numpy as np
import pytest

from exchange.asset import Material, Mesh, Primitive, read_asset
from exchange.asset.model import Asset, single_mesh_asset
from health.report.physics_material import NAME_KEYWORDS
from physics.materials import (
    PROPERTIES,
    HeuristicProvider,
    MaterialProvider,
    UnknownProvider,
    provider_named,
)
from physics.model import PhysicsMaterial
from testdata import ASSETS


def one_material(material: Material) -> Asset:
    prim = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32),
        np.array([[0, 1, 2]], dtype=np.uint32),
        material=0,
    )
    return single_mesh_asset(Mesh("m", [prim]), [material])


def test_every_kind_the_heuristic_names_has_plausible_figures():
    named = {kind for kind, _ in NAME_KEYWORDS} | {"plastic", "metal", "glass"}

    assert named <= set(PROPERTIES)
    for kind, row in PROPERTIES.items():
        assert 10 <= row.density <= 20_000, kind
        assert 0 < row.dynamic_friction <= row.static_friction <= 1.5, kind
        assert 0 <= row.restitution < 1, kind
        assert row.source, kind


@pytest.mark.parametrize(
    ("name", "kind", "density"),
    [("Brushed_Steel", "metal", 7850), ("OakPlank_01", "wood", 700), ("Tire", "rubber", 1100)],
)
def test_the_heuristic_maps_its_kind_to_the_table(name, kind, density):
    found = HeuristicProvider().identify(one_material(Material(name, metallic=0.0)))

    assert found == PhysicsMaterial(
        kind=kind,
        density=density,
        static_friction=PROPERTIES[kind].static_friction,
        dynamic_friction=PROPERTIES[kind].dynamic_friction,
        restitution=PROPERTIES[kind].restitution,
        provider="heuristic",
        reason=found.reason,
    )
    assert name in found.reason


def test_the_duck_is_plastic_by_its_pbr_values():
    found = HeuristicProvider().identify(read_asset(ASSETS / "Duck.glb"))

    assert found.kind == "plastic" and found.density == 1050
    assert "not metallic" in found.reason


class Fixed:
    def __init__(self, name: str) -> None:
        self.name = name

    def identify(self, asset: Asset) -> PhysicsMaterial:
        raise AssertionError("not asked here")


@pytest.mark.parametrize("name", [None, "heuristic", "default"])
def test_no_name_or_the_default_names_is_the_heuristic(name):
    provider = provider_named(name, {"openai": Fixed("openai")})

    assert isinstance(provider, HeuristicProvider) and provider.name == "heuristic"


def test_a_configured_name_is_that_provider():
    configured: MaterialProvider = Fixed("local-llm")

    assert provider_named("local-llm", {"local-llm": configured}) is configured


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownProvider) as caught:
        provider_named("claude", {"openai": Fixed("openai")})

    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "unknown material provider 'claude': known are default, heuristic, openai"
    )

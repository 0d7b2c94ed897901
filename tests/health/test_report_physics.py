"""health.report.physics_material: the documented heuristic, names first, then PBR."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from exchange.asset import Material, Mesh, Primitive, Texture, read_asset
from exchange.asset.model import single_mesh_asset
from health.report import infer_physics_material
from testdata import ASSETS


def one_material(material: Material):
    prim = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32),
        np.array([[0, 1, 2]], dtype=np.uint32),
        material=0,
    )
    return single_mesh_asset(Mesh("m", [prim]), [material])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Brushed_Steel", "metal"),
        ("OakPlank_01", "wood"),
        ("WindowGlass", "glass"),
        ("seat_leather", "fabric"),
        ("Tire_Rubber", "rubber"),
        ("porcelain", "ceramic"),
        ("Marble floor", "stone"),
        ("ABS plastic", "plastic"),
    ],
)
def test_a_name_keyword_decides(name, kind):
    # non-metallic, opaque values: only the name can say metal or glass here
    found = infer_physics_material(one_material(Material(name, metallic=0.0, roughness=0.8)))

    assert found.kind == kind
    assert name in found.reason


def test_a_glass_like_pbr_is_glass():
    glass = Material("mat_03", base_color=(0.9, 0.95, 1.0, 0.2), metallic=0.0, roughness=0.05)

    found = infer_physics_material(one_material(glass))

    assert found.kind == "glass" and "alpha 0.2" in found.reason


def test_a_metallic_pbr_is_metal():
    found = infer_physics_material(one_material(Material("mat_01", metallic=0.9, roughness=0.4)))

    assert found.kind == "metal" and "metallic 0.9" in found.reason


def test_the_duck_is_plastic():
    found = infer_physics_material(read_asset(ASSETS / "Duck.glb"))

    assert found.kind == "plastic"
    assert "blinn3-fx" in found.reason and "100%" in found.reason


def test_a_metallic_map_counts_as_a_renderer_multiplies_it():
    # factor 1 (glTF's default) but a metallic-roughness map whose blue (metal) is ~0
    image = Image.new("RGB", (4, 4), (0, 200, 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    dull = Material(
        "mat", metallic=1.0, metallic_roughness_texture=Texture(buffer.getvalue(), "image/png")
    )

    found = infer_physics_material(one_material(dull))

    assert found.kind == "plastic"
    assert infer_physics_material(one_material(Material("mat", metallic=1.0))).kind == "metal"

"""health.report.lods: each level really has fewer triangles, close to its ratio, keeps
the materials and UVs, and stays close to the source surface."""

from __future__ import annotations

import numpy as np
import pytest

from exchange.asset import read_asset, write_asset
from health.report import lod_assets, lod_levels
from health.validators import validate_gltf
from testdata import ASSETS


def test_duck_levels_decrease_and_match_the_ratios(tmp_path):
    duck = read_asset(ASSETS / "Duck.glb")

    levels = lod_levels(duck, (0.5, 0.25, 0.125))

    triangles = [level.triangles for level in levels]
    assert triangles == sorted(triangles, reverse=True) and len(set(triangles)) == 3
    for level in levels:
        assert level.triangles == pytest.approx(4212 * level.ratio, rel=0.05)
        assert 0 < level.error < 0.05  # within 5 % of the Duck's box diagonal
    assert levels[0].error <= levels[-1].error


def test_a_level_is_an_asset_the_glb_writer_and_validator_accept(tmp_path):
    duck = read_asset(ASSETS / "Duck.glb")

    (half,) = lod_assets(duck, (0.5,))

    prim = half.meshes[0].primitives[0]
    assert prim.uvs is not None and len(prim.uvs) == len(prim.positions)
    assert prim.normals is not None and np.isfinite(prim.normals).all()
    assert prim.material == 0 and half.materials[0].base_color_texture is not None
    assert int(prim.indices.max()) < len(prim.positions)
    out = tmp_path / "lod.glb"
    write_asset(half, out, "glb")
    assert validate_gltf(out).errors == 0
    assert sum(len(p.indices) for _, p in read_asset(out).placed()) == 2106


def test_ratios_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError):
        lod_levels(read_asset(ASSETS / "Duck.glb"), (1.5,))


def test_a_box_too_small_to_simplify_has_no_levels():
    box = read_asset(ASSETS / "BoxTextured.glb")

    assert lod_levels(box) == []

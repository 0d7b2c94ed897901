"""A skinned glTF converts in its rest pose, placed by its joints as glTF says (its own node
transform ignored): the converted, skeleton-free GLB draws the same silhouette as the
original does in meshfarm's renderer, which skins on the GPU, and CesiumMan stands as tall
as the independently authored CesiumMan.usdz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from exchange.asset import convert, normalised, read_asset
from exchange.asset.compare import summary
from exchange.limits import AssetLimits
from workers.local_render import render_png
from workers.specs import RenderSpec

ASSETS = Path(__file__).resolve().parents[1] / "assets"
BACKGROUND = (16, 32, 48)


def _silhouette(path: Path, out: Path) -> np.ndarray:
    spec = RenderSpec(model_id="m", bg_color="#102030", shadows=False)
    render_png(path, out, spec, limits=AssetLimits())
    with Image.open(out) as img:
        pixels = np.asarray(img.convert("RGB")).astype(int)
    return np.abs(pixels - BACKGROUND).sum(axis=-1) > 30


@pytest.mark.parametrize("name", ["CesiumMan.zip", "Fox.glb"])
def test_a_skinned_model_converts_as_the_renderer_draws_it(name: str, tmp_path: Path) -> None:
    source = ASSETS / name
    convert(source, tmp_path / "baked.glb", "glb", y_up=False, root_xform=False)
    original = _silhouette(source, tmp_path / "original.png")
    baked = _silhouette(tmp_path / "baked.glb", tmp_path / "baked.png")
    assert original.mean() > 0.01
    assert (original ^ baked).mean() < 0.02 * original.mean()


def test_cesium_man_stands_as_tall_as_its_usd_twin() -> None:
    gltf = summary(normalised(read_asset(ASSETS / "CesiumMan.zip"))).bounds
    usd = summary(normalised(read_asset(ASSETS / "usd" / "CesiumMan.usdz"))).bounds
    assert gltf is not None and usd is not None
    assert gltf[1][1] == pytest.approx(usd[1][1], rel=1e-3)  # 1.51 m, feet on the ground

"""exchange.model_check: the document rules the upload and the loader share, by the
refusals a client reads (the two sides' agreement is test_ingest_loader_agreement's)."""

from __future__ import annotations

from pathlib import Path

import hostile_models as hm
import pytest

from exchange import AssetInvalid, AssetLimits, AssetTooLarge, AssetUnsupported, open_asset
from exchange.extensions import check_extension_lists
from exchange.model_check import check_model
from workers.model_support import SUPPORTED_EXTENSIONS


def _check(tmp_path: Path, name: str, data: bytes, limits: AssetLimits | None = None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with open_asset(path, limits or AssetLimits()) as container:
        check_model(container, limits or AssetLimits(), SUPPORTED_EXTENSIONS)


def test_required_extensions_the_renderer_cannot_draw_are_named() -> None:
    doc = {
        "extensionsUsed": ["EXT_meshopt_compression", "EXT_made_up_by_a_test", "VENDOR_x"],
        "extensionsRequired": ["VENDOR_x", "EXT_meshopt_compression", "EXT_made_up_by_a_test"],
    }
    message = "the model requires EXT_made_up_by_a_test, VENDOR_x, which meshfarm cannot render"
    with pytest.raises(AssetUnsupported, match=message):
        check_extension_lists(doc, SUPPORTED_EXTENSIONS)


def test_every_extension_the_renderer_draws_passes() -> None:
    check_extension_lists(
        {"extensionsRequired": sorted(SUPPORTED_EXTENSIONS)}, SUPPORTED_EXTENSIONS
    )
    assert "KHR_texture_basisu" in SUPPORTED_EXTENSIONS
    with pytest.raises(AssetInvalid, match="extensionsRequired must be an array"):
        check_extension_lists({"extensionsRequired": "nonsense"}, SUPPORTED_EXTENSIONS)


def test_the_triangle_limit_counts_instances_and_is_read_before_the_accessors(
    tmp_path: Path,
) -> None:
    """1000 instances of 4001 triangles: refused by the declared counts, though the file
    holds 48 KB of indices; one instance of them passes."""
    with pytest.raises(AssetTooLarge, match="draws 4,001,000 triangles"):
        _check(tmp_path, "many.glb", hm.instanced_mesh_glb(4001, 1000))
    _check(tmp_path, "one.glb", hm.instanced_mesh_glb(4001, 1))
    low = AssetLimits(max_triangles=4000)
    with pytest.raises(AssetTooLarge, match="draws 4,001 triangles; the limit is 4,000"):
        _check(tmp_path, "one.glb", hm.instanced_mesh_glb(4001, 1), low)


def test_a_skinned_instancing_node_draws_its_mesh_once(tmp_path: Path) -> None:
    doc = hm.triangle_doc(skins=[{"joints": [0]}])
    doc["nodes"][0]["skin"] = 0
    doc["meshes"][0]["primitives"][0]["indices"] = 1
    doc["extensionsUsed"] = ["EXT_mesh_gpu_instancing"]
    doc["nodes"][0]["extensions"] = {"EXT_mesh_gpu_instancing": {"attributes": {"SCALE": 2}}}
    indices = (b"\0" * 12 * 3000, {"componentType": 5125, "type": "SCALAR", "count": 9000})
    glb = hm.with_accessors(doc, indices, hm.floats("VEC3", *[1.0] * 3 * 2))
    _check(tmp_path, "skinned.glb", glb, AssetLimits(max_triangles=3000))


def test_a_spot_light_cone_may_be_the_widest_the_spec_allows(tmp_path: Path) -> None:
    import math

    spot = {"type": "spot", "spot": {"innerConeAngle": 0, "outerConeAngle": math.pi / 2}}
    _check(tmp_path, "spot.gltf", hm.lit_gltf(spot))
    wider = {"type": "spot", "spot": {"outerConeAngle": 1.6}}
    with pytest.raises(AssetInvalid, match="0 <= inner < outer <= π/2"):
        _check(tmp_path, "spot.gltf", hm.lit_gltf(wider))

"""``y_up`` and ``root_xform`` do what exchange/asset/transform.py says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exchange.asset import normalised, read_asset, summary
from exchange.asset.transform import bounds

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _box(asset: object) -> np.ndarray:
    box = bounds(asset)  # type: ignore[arg-type]
    assert box is not None
    return box


def test_y_up_turns_a_z_up_stl_upright() -> None:
    raw = read_asset(ASSETS / "teapot_binary.stl")
    assert raw.up_axis == "Z"
    before = _box(normalised(raw, y_up=False, root_xform=False))
    after = _box(normalised(raw, y_up=True, root_xform=False))
    np.testing.assert_allclose(after[:, 1], before[:, 2], rtol=1e-5)
    np.testing.assert_allclose(after[::-1, 2], -before[:, 1], rtol=1e-5)
    np.testing.assert_allclose(after[:, 0], before[:, 0], rtol=1e-5)


def test_y_up_leaves_a_y_up_gltf_alone() -> None:
    raw = read_asset(ASSETS / "Duck.glb")
    np.testing.assert_allclose(
        _box(normalised(raw, y_up=True, root_xform=False)),
        _box(normalised(raw, y_up=False, root_xform=False)),
    )


def test_root_xform_puts_the_base_centre_on_the_origin() -> None:
    raw = read_asset(ASSETS / "Duck.glb")
    moved = normalised(raw)
    box = _box(moved)
    assert abs(box[0, 1]) < 1e-6
    assert np.abs((box[0] + box[1])[[0, 2]] / 2).max() < 1e-6
    assert all(np.allclose(moved.nodes[r].matrix, np.eye(4)) for r in moved.roots)
    size = _box(raw)[1] - _box(raw)[0]
    np.testing.assert_allclose(box[1] - box[0], size, rtol=1e-5)
    assert summary(moved).triangles == summary(raw).triangles


def test_without_root_xform_the_asset_stays_put() -> None:
    raw = read_asset(ASSETS / "Duck.glb")
    np.testing.assert_allclose(_box(normalised(raw, root_xform=False)), _box(raw))
    assert not np.allclose(_box(normalised(raw)), _box(raw))


def test_the_source_is_not_changed() -> None:
    raw = read_asset(ASSETS / "CesiumMilkTruck.glb")
    before = _box(raw)
    normalised(raw)
    np.testing.assert_allclose(_box(raw), before)


def test_collada_units_and_up_axis_become_y_up_metres() -> None:
    raw = read_asset(ASSETS / "teapot_instancenodes.DAE")
    assert (raw.up_axis, raw.meters_per_unit) == ("Z", 0.0254)
    before = _box(normalised(raw, y_up=False, root_xform=False))
    after = _box(normalised(raw, y_up=True, root_xform=False))
    np.testing.assert_allclose(after[:, 1], before[:, 2] * 0.0254, rtol=1e-5)
    np.testing.assert_allclose(after[:, 0], before[:, 0] * 0.0254, rtol=1e-5)

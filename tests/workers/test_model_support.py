"""The upload check's view of the renderer's glTF extension support."""

from __future__ import annotations

from workers.model_support import SUPPORTED_EXTENSIONS, undrawable_required_extensions


def test_required_extensions_the_renderer_cannot_draw_are_named() -> None:
    doc = {
        "extensionsUsed": ["EXT_meshopt_compression", "EXT_made_up_by_a_test", "VENDOR_x"],
        "extensionsRequired": ["VENDOR_x", "EXT_meshopt_compression", "EXT_made_up_by_a_test"],
    }
    assert undrawable_required_extensions(doc) == ["EXT_made_up_by_a_test", "VENDOR_x"]


def test_every_extension_the_renderer_draws_passes() -> None:
    doc = {"extensionsRequired": sorted(SUPPORTED_EXTENSIONS)}
    assert undrawable_required_extensions(doc) == []
    assert "KHR_texture_basisu" in SUPPORTED_EXTENSIONS
    assert undrawable_required_extensions({"extensionsRequired": "nonsense"}) == []

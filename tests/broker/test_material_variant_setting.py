"""renderSettings.materialVariant: accepted by the API schema, kept as given."""

from __future__ import annotations

import pytest

from broker.dialects.dxgl.render_settings import parse_render_settings


def test_material_variant_is_accepted_and_stored() -> None:
    settings = parse_render_settings({"materialVariant": "Ruby"}, is_admin=False)
    assert settings.stored()["materialVariant"] == "Ruby"
    assert "materialVariant" not in parse_render_settings({}, is_admin=False).stored()


@pytest.mark.parametrize("value", ["", 3, ["Ruby"]])
def test_material_variant_must_be_a_name(value: object) -> None:
    with pytest.raises(Exception, match="materialVariant"):
        parse_render_settings({"materialVariant": value}, is_admin=False)

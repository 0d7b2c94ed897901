"""The tier catalogue: dx.gl's documented prices and sizes, and the codecs the encoders know."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from encoders import MAIN_CODECS
from workers.catalogue import DATASET_TIERS, VIDEO_TIERS, MainCodec
from workers.specs import JOB_SPECS, DatasetSpec, RenderSpec


def test_prices_and_sizes_are_dxgls():
    assert {n: (t.credits, t.long_side) for n, t in VIDEO_TIERS.items()} == {
        "share": (1, 960),
        "standard": (4, 1920),
        "4k": (16, 3840),
        "pro": (64, 3840),
    }
    assert [n for n, t in VIDEO_TIERS.items() if t.transparent] == ["pro"]
    assert {n: (t.credits, t.views, t.size) for n, t in DATASET_TIERS.items()} == {
        "100x800": (4, 100, 800),
        "196x1024": (16, 196, 1024),
        "400x2048": (64, 400, 2048),
    }


def test_the_catalogue_names_the_encoders_codecs():
    assert get_args(MainCodec) == MAIN_CODECS
    assert {t.main_codec for t in VIDEO_TIERS.values()} <= set(MAIN_CODECS)


def test_a_stored_spec_comes_back_as_its_kind():
    render = RenderSpec(model_id="m", tier="pro", preview=False, bg_color="#102030")
    dataset = DatasetSpec(model_id="m", tier="196x1024")
    assert JOB_SPECS.validate_python(render.model_dump(mode="json")) == render
    assert JOB_SPECS.validate_python(dataset.model_dump(mode="json")) == dataset
    assert (render.credits, dataset.credits) == (64, 16)
    assert RenderSpec(model_id="m", preview=True).credits == 0
    with pytest.raises(ValidationError):
        RenderSpec(model_id="m", bg_color="white")
    with pytest.raises(ValidationError):
        JOB_SPECS.validate_python({"kind": "convert", "model_id": "m"})

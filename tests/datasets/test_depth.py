"""Near/far fitting and the documented 8/16-bit depth decoding."""

from __future__ import annotations

import numpy as np

from datasets import DepthRange


def test_closest_is_one_farthest_is_top():  # type: ignore[no-untyped-def]
    r = DepthRange.fit(2.0, 3.0)
    depth = np.array([[0.0, 2.0, 2.5, 3.0]])
    assert r.encode(depth, 8).tolist() == [[0, 1, 128, 255]]
    v16 = r.encode(depth, 16)
    assert v16[0, 0] == 0 and v16[0, 1] >= 1 and v16[0, 3] == 65535
    assert v16.dtype == np.uint16


def test_decode_is_the_documented_formula():  # type: ignore[no-untyped-def]
    r = DepthRange.fit(1.25, 4.5)
    depth = np.linspace(1.25, 4.5, 1000)
    for bits, top in ((8, 255), (16, 65535)):
        v = r.encode(depth, bits)
        formula = v / top * (r.far - r.near) + r.near
        assert np.allclose(r.decode(v, bits), formula)
        assert np.abs(formula - depth).max() <= 0.5 / top * (r.far - r.near) + 1e-12
        assert v.min() >= 1


def test_flat_span_still_encodes():  # type: ignore[no-untyped-def]
    r = DepthRange.fit(2.0, 2.0)
    assert r.far > r.near and r.encode(np.array([2.0]), 8)[0] >= 1

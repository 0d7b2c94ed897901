"""bench/fidelity's metric against values worked out by hand from its definition.

δ = 0.5053·ΔY² + 0.299·ΔI² + 0.1957·ΔQ² (pixelmatch YIQ), both images over white, over
the candidate's pixels with alpha > 0; dB = 10·log10(sqrt(mean δ²) / 35215).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.fidelity import metric, tonemap

BLACK_WHITE = 0.5053 * (255 * 1.00000001) ** 2
"""Black vs white: ΔY = −255·(0.29889531 + 0.58662247 + 0.11448223), ΔI = ΔQ = 0."""


def image(*pixels: tuple[int, int, int, int]) -> np.ndarray:
    return np.array([pixels], dtype=np.uint8)


def test_black_against_white_is_the_luma_term_alone() -> None:
    cand, gold = image((0, 0, 0, 255)), image((255, 255, 255, 255))
    assert metric.yiq_delta(cand, gold)[0, 0] == pytest.approx(32857.133, abs=1e-3)
    assert metric.fidelity_db(cand, gold) == pytest.approx(-0.30098, abs=1e-4)


def test_red_against_green_uses_all_three_yiq_terms() -> None:
    # ΔY = 255·(0.29889531 − 0.58662247), ΔI = 255·(0.59597799 + 0.27417610),
    # ΔQ = 255·(0.21147017 + 0.52261711)
    dy, di, dq = 255 * -0.28772716, 255 * 0.87015409, 255 * 0.73408728
    expected = 0.5053 * dy * dy + 0.299 * di * di + 0.1957 * dq * dq
    assert expected == pytest.approx(24298.876, abs=1e-2)
    delta = metric.yiq_delta(image((255, 0, 0, 255)), image((0, 255, 0, 255)))[0, 0]
    assert delta == pytest.approx(expected, rel=1e-9)


def test_both_images_are_blended_over_white_with_their_own_alpha() -> None:
    # black at alpha 51 (0.2) → 255 + (0 − 255)·0.2 = 204 grey; a transparent golden → white
    cand, gold = image((0, 0, 0, 51)), image((10, 200, 30, 0))
    assert metric.yiq_delta(cand, gold)[0, 0] == pytest.approx(0.5053 * 51.0**2, rel=1e-6)
    assert metric.fidelity_db(cand, gold) == pytest.approx(-14.2804, abs=1e-3)


def test_only_pixels_the_candidate_covers_count_and_the_mean_is_of_squares() -> None:
    cand = image((0, 0, 0, 255), (7, 7, 7, 255), (0, 0, 0, 0))
    gold = image((255, 255, 255, 255), (7, 7, 7, 255), (0, 0, 0, 255))
    # third pixel (black where the candidate is empty) is left out; mean δ² = BW²/2
    ratio = math.sqrt(BLACK_WHITE**2 / 2) / 35215
    assert metric.rms_distance_ratio(cand, gold) == pytest.approx(ratio, rel=1e-6)
    assert metric.fidelity_db(cand, gold) == pytest.approx(-1.80613, abs=1e-4)


def test_identical_images_score_minus_infinity_and_an_empty_candidate_nan() -> None:
    img = image((12, 34, 56, 255))
    assert metric.fidelity_db(img, img) == float("-inf")
    assert math.isnan(metric.rms_distance_ratio(image((0, 0, 0, 0)), img))


def test_silhouette_iou_counts_pixels_at_half_coverage() -> None:
    a = image((0, 0, 0, 255), (0, 0, 0, 128), (0, 0, 0, 127), (0, 0, 0, 0))
    b = image((0, 0, 0, 255), (0, 0, 0, 255), (0, 0, 0, 255), (0, 0, 0, 255))
    # a's mask: pixels 0, 1 (127 is under half); b's: all four → 2 / 4
    assert metric.silhouette_iou(a, b) == pytest.approx(0.5)
    assert metric.silhouette_iou(a, a) == 1.0


def test_reference_pixels_are_unpremultiplied_before_the_curve() -> None:
    # premultiplied 0.5 at alpha 0.5 is a surface of radiance 1: "none" encodes it white
    px = tonemap.to_png_pixels(np.array([[[0.5, 0.5, 0.5, 0.5]]]), "none")
    assert px.tolist() == [[[255, 255, 255, 128]]]
    # three.js ACES of 0.6 (exposure 1/0.6 makes it 1.0 before the fit), by hand:
    # the AP1 matrix columns sum to 1, so x = 1; fit (1 + 0.0245786 − 0.000090537)
    # / (0.983729 + 0.4329510 + 0.238081) = 0.6193…; the output columns sum to 1
    mapped = tonemap.aces_filmic(np.array([0.6, 0.6, 0.6]))
    fit = (1 + 0.0245786 - 0.000090537) / (0.983729 + 0.4329510 + 0.238081)
    assert mapped == pytest.approx([fit] * 3, abs=2e-5)

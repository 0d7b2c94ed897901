"""Alpha compositing: exact against a float reference, opaque frames untouched."""

from __future__ import annotations

import numpy as np

from encoders.compose import over_background


def test_over_background_matches_the_float_formula() -> None:
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (64, 80, 4), dtype=np.uint8)
    bg = (255, 128, 3)
    alpha = frame[..., 3:4] / 255.0
    reference = np.rint(frame[..., :3] * alpha + np.array(bg) * (1 - alpha))
    out = over_background(frame, bg)
    assert out.shape == (64, 80, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - reference).max() <= 1
    assert np.array_equal(over_background(np.zeros_like(frame), bg)[0, 0], bg)


def test_opaque_frames_are_passed_through_without_a_copy() -> None:
    frame = np.full((32, 32, 4), 255, np.uint8)
    assert over_background(frame, (0, 0, 0)) is frame


def test_over_an_image_matches_the_float_formula_pixel_by_pixel() -> None:
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (48, 64, 4), dtype=np.uint8)
    frame[:8, :, 3] = 0  # bare background rows outside the covered box: the image itself
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    alpha = frame[..., 3:4] / 255.0
    reference = np.rint(frame[..., :3] * alpha + image * (1 - alpha))
    out = over_background(frame, image)
    assert np.abs(out.astype(int) - reference).max() <= 1
    assert np.array_equal(out[:8], image[:8])

"""The Khronos glTF-Render-Fidelity distance, silhouette IoU and NVIDIA FLIP.

Definitions taken from the generator's comparator (model-viewer's
packages/render-fidelity-tools, ``ImageComparator.analyze`` and pixelmatch's
``colorDelta``):

- each pixel of either image is blended over white with its own alpha:
  ``c' = 255 + (c − 255)·a``;
- δ = 0.5053·ΔY² + 0.299·ΔI² + 0.1957·ΔQ² in pixelmatch's YIQ (already a squared
  distance, up to 35215 = ``MAX_COLOR_DISTANCE``);
- only pixels where the *candidate's* alpha > 0 count;
- score = 10·log10(sqrt(mean δ²) / 35215) dB: lower (more negative) is closer; the
  generator's own regression threshold is −22 dB.

The distance ignores what the candidate leaves out, so the silhouette is measured apart:
IoU of the two coverage masks at half coverage (alpha ≥ 128; a path tracer's wider pixel
filter then does not count as a different outline). FLIP is the mean of NVIDIA's LDR-FLIP
error map over the pixels either image covers, both blended over white as above; it needs
the ``flip-evaluator`` package (in the reference environment).
"""

from __future__ import annotations

import numpy as np

MAX_COLOR_DISTANCE = 35215.0
HALF_COVERAGE = 128


def _over_white(rgba: np.ndarray) -> np.ndarray:
    img = np.asarray(rgba, np.float64)
    alpha = img[..., 3:4] / 255.0
    return 255.0 + (img[..., :3] - 255.0) * alpha


def yiq_delta(candidate: np.ndarray, golden: np.ndarray) -> np.ndarray:
    """Per-pixel pixelmatch δ (H×W float) of two H×W×4 uint8 straight-alpha images."""
    if candidate.shape != golden.shape or candidate.shape[-1] != 4:
        raise ValueError(f"images must both be H×W×4, got {candidate.shape} and {golden.shape}")
    a, b = _over_white(candidate), _over_white(golden)
    d = a - b
    y = d @ np.array([0.29889531, 0.58662247, 0.11448223])
    i = d @ np.array([0.59597799, -0.27417610, -0.32180189])
    q = d @ np.array([0.21147017, -0.52261711, 0.31114694])
    return 0.5053 * y * y + 0.299 * i * i + 0.1957 * q * q


def rms_distance_ratio(candidate: np.ndarray, golden: np.ndarray) -> float:
    """sqrt(mean δ²)/35215 over the candidate's pixels with alpha > 0 (nan if none)."""
    mask = np.asarray(candidate)[..., 3] > 0
    if not mask.any():
        return float("nan")
    delta = yiq_delta(candidate, golden)[mask]
    return float(np.sqrt(np.mean(delta * delta)) / MAX_COLOR_DISTANCE)


def to_decibel(ratio: float) -> float:
    """The generator's ``toDecibel``: 10·log10 (−inf for identical images)."""
    if ratio == 0.0:
        return float("-inf")
    return float(10.0 * np.log10(ratio))


def fidelity_db(candidate: np.ndarray, golden: np.ndarray) -> float:
    """The generator's score of ``candidate`` against ``golden``, in dB (lower is closer)."""
    return to_decibel(rms_distance_ratio(candidate, golden))


def silhouette_iou(a: np.ndarray, b: np.ndarray, threshold: int = HALF_COVERAGE) -> float:
    """Intersection over union of the alpha ≥ ``threshold`` masks (1.0 if both empty)."""
    ma, mb = np.asarray(a)[..., 3] >= threshold, np.asarray(b)[..., 3] >= threshold
    union = np.count_nonzero(ma | mb)
    return 1.0 if union == 0 else np.count_nonzero(ma & mb) / union


def over_white_unit(rgba: np.ndarray) -> np.ndarray:
    """H×W×3 float32 in 0..1: the image blended over white (what FLIP compares)."""
    return (_over_white(rgba) / 255.0).astype(np.float32)


def flip_mean(candidate: np.ndarray, golden: np.ndarray) -> float | None:
    """Mean LDR-FLIP over pixels either image covers; None without ``flip_evaluator``."""
    try:
        import flip_evaluator
    except ImportError:
        return None
    error_map, _, _ = flip_evaluator.evaluate(
        over_white_unit(golden), over_white_unit(candidate), "LDR", applyMagma=False
    )
    covered = (np.asarray(candidate)[..., 3] > 0) | (np.asarray(golden)[..., 3] > 0)
    if not covered.any():
        return 0.0
    return float(np.asarray(error_map).reshape(covered.shape)[covered].mean())


def main(argv: list[str]) -> None:
    """``metric.py CANDIDATE.png GOLDEN.png …``: print the FLIP means as a JSON list.

    How the bench reaches ``flip_evaluator`` when it lives only in the reference env.
    """
    import json

    from PIL import Image

    def load(path: str) -> np.ndarray:
        return np.asarray(Image.open(path).convert("RGBA"))

    pairs = zip(argv[0::2], argv[1::2], strict=True)
    print(json.dumps([flip_mean(load(c), load(g)) for c, g in pairs]))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

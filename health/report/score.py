"""The health score: 100 minus what the checks cost, as docs/health.md states it.

``score = clamp(round(100 − Σ weight × penalty(result)), 0, 100)`` with penalty 0 for
pass and skip, 0.5 for warn and 1 for fail. ``SCORE_VERSION`` changes whenever the
formula or a weight does, so two scores are only compared under the same version.
"""

from __future__ import annotations

from collections.abc import Iterable

from health.report.check import Check

SCORE_VERSION = "1"
PENALTY = {"pass": 0.0, "skip": 0.0, "warn": 0.5, "fail": 1.0}


def score(checks: Iterable[Check]) -> int:
    lost = sum(c.weight * PENALTY[c.result] for c in checks)
    return int(min(100, max(0, round(100 - lost))))

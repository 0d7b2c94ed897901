"""The health score: 100 minus what the checks cost, as docs/health.md states it.

``score = clamp(round(100 − Σ weight × penalty(result)), 0, 100)`` with penalty 0 for
pass and skip, 0.5 for warn and 1 for fail; a failed gate (``GATES``: an asset with no
triangles has nothing else worth grading) makes the score 0. ``SCORE_VERSION`` changes whenever the
formula or a weight does, so two scores are only compared under the same version.
"""

from __future__ import annotations

from collections.abc import Iterable

from health.report.check import Check

SCORE_VERSION = "1"
PENALTY = {"pass": 0.0, "skip": 0.0, "warn": 0.5, "fail": 1.0}
GATES = frozenset({"geometry.non_empty"})


def score(checks: Iterable[Check]) -> int:
    graded = list(checks)
    if any(c.id in GATES and c.result == "fail" for c in graded):
        return 0
    lost = sum(c.weight * PENALTY[c.result] for c in graded)
    return int(min(100, max(0, round(100 - lost))))

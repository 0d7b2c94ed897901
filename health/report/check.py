"""One named, versioned check of the health report: what it found and what it weighs.

A check's ``id`` and ``version`` are a contract: the same asset graded by the same
version of a check gives the same result, so scores stay comparable across releases; a
change in what a check tests bumps its version (docs/health.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

RESULTS = ("pass", "warn", "fail", "skip")
"""``skip``: the check does not apply here (no verdict for this target, no round trip)."""


@dataclass(frozen=True)
class Check:
    id: str
    version: int
    result: str
    message: str
    weight: float
    """Points the score loses when the check fails (half of them for a warning)."""


def check(id: str, version: int, weight: float, result: str, message: str) -> Check:
    if result not in RESULTS:
        raise ValueError(f"result must be one of {', '.join(RESULTS)}")
    return Check(id, version, result, message, weight)

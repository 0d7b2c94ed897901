"""The dx.gl dataset tiers (``datasetQuality``) and coverages, as typed values.

The API names a tier ``"<views>x<side>"``; the library takes the numbers themselves so
tests and benches can ask for smaller datasets than any tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Coverage = Literal["hemisphere", "sphere"]
COVERAGES: tuple[Coverage, ...] = ("hemisphere", "sphere")


@dataclass(frozen=True)
class DatasetTier:
    """How many views, and the side of each square image in pixels."""

    views: int
    size: int

    @property
    def name(self) -> str:
        return f"{self.views}x{self.size}"


TIERS: dict[str, DatasetTier] = {
    t.name: t for t in (DatasetTier(100, 800), DatasetTier(196, 1024), DatasetTier(400, 2048))
}


def tier(name: str) -> DatasetTier:
    """The tier a ``datasetQuality`` value names; ValueError for anything else."""
    try:
        return TIERS[name]
    except KeyError:
        raise ValueError(f"datasetQuality must be one of {', '.join(TIERS)}") from None


def coverage(name: str) -> Coverage:
    """Check a ``coverage`` value; ValueError for anything but hemisphere or sphere."""
    for known in COVERAGES:
        if name == known:
            return known
    raise ValueError("coverage must be hemisphere or sphere")

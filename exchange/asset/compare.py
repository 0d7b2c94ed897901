"""Did a conversion keep the asset? Two assets compared by what a user would miss:
triangles, world bounds, materials and textures.

Bounds agree when every corner differs by at most ``rel_tol`` of the larger box's
diagonal (writers round to float32 and 7 digits); counts must be equal, except that a
target without materials (STL) is compared with ``materials=False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from exchange.asset.model import Asset
from exchange.asset.transform import bounds


@dataclass(frozen=True)
class Summary:
    triangles: int
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] | None
    materials: int
    textures: int


@dataclass(frozen=True)
class RoundTrip:
    before: Summary
    after: Summary
    problems: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    """What the target's format cannot hold (by design, not a loss by the converter)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def summary(asset: Asset) -> Summary:
    box = bounds(asset)
    return Summary(
        sum(len(p.indices) for _, p in asset.placed()),
        None if box is None else (tuple(box[0].tolist()), tuple(box[1].tolist())),
        len({i for _, p in asset.placed() if (i := p.material) is not None}),
        len(asset.textures()),
    )


def compare(
    a: Asset, b: Asset, *, rel_tol: float = 1e-4, materials: bool = True, textures: bool = True
) -> RoundTrip:
    """``b`` (the output, re-read) against ``a`` (the input), both in the same axes."""
    sa, sb = summary(a), summary(b)
    problems = []
    if sa.triangles != sb.triangles:
        problems.append(f"triangles: {sa.triangles} became {sb.triangles}")
    if (sa.bounds is None) != (sb.bounds is None):
        problems.append("bounds: one side has no vertices")
    elif sa.bounds is not None and sb.bounds is not None:
        ba, bb = np.array(sa.bounds), np.array(sb.bounds)
        scale = max(float(np.linalg.norm(ba[1] - ba[0])), float(np.linalg.norm(bb[1] - bb[0])))
        if np.abs(ba - bb).max() > rel_tol * max(scale, 1e-9):
            problems.append(f"bounds: {sa.bounds} became {sb.bounds}")
    if materials and sa.materials != sb.materials:
        problems.append(f"materials: {sa.materials} became {sb.materials}")
    if textures and sa.textures != sb.textures:
        problems.append(f"textures: {sa.textures} became {sb.textures}")
    return RoundTrip(sa, sb, problems)

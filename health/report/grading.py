"""The health report of one converted asset: checks, score, LODs, collision hulls,
physics material, engine readiness and geometry, in one dataclass.

``grade`` takes the asset as written (after :func:`health.report.repair.repair` and the
conversion options), the fixes that were applied, the standards' verdicts on the output
and the round trip; it computes everything else itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from exchange.asset.compare import RoundTrip
from exchange.asset.model import Asset
from health.report.asset_checks import geometry_checks, material_checks, scene_checks
from health.report.check import Check
from health.report.collision import DEFAULT_BUDGET_S, Collision, convex_hulls
from health.report.geometry import GeometryStats, geometry_stats
from health.report.lods import DEFAULT_RATIOS, LodLevel, lod_levels
from health.report.output_checks import output_checks
from health.report.physics_material import PhysicsMaterial, infer_physics_material
from health.report.readiness import EngineReadiness, engine_readiness
from health.report.score import SCORE_VERSION, score
from health.report.textures import texture_sizes


@dataclass(frozen=True)
class HealthReport:
    score: int
    score_version: str
    checks: list[Check]
    fixes_applied: list[str]
    lods: list[LodLevel]
    collision: Collision
    physics_material: PhysicsMaterial
    engine_readiness: dict[str, EngineReadiness]
    geometry: GeometryStats
    target: str
    source_format: str
    seconds: float
    """Time ``grade`` took (LODs and hulls included)."""

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)


def grade(
    asset: Asset,
    *,
    fixes: list[str],
    verdicts: Sequence[object],
    round_trip: RoundTrip | None,
    target: str,
    source_format: str,
    lod_ratios: Sequence[float] = DEFAULT_RATIOS,
    collision_budget_s: float = DEFAULT_BUDGET_S,
) -> HealthReport:
    started = time.monotonic()
    stats = geometry_stats(asset)
    checks = [
        *geometry_checks(asset, stats),
        *material_checks(asset),
        *scene_checks(asset, stats),
        *output_checks(verdicts, round_trip, target),
    ]
    lods = lod_levels(asset, lod_ratios) if stats.triangles else []
    return HealthReport(
        score=score(checks),
        score_version=SCORE_VERSION,
        checks=checks,
        fixes_applied=list(fixes),
        lods=lods,
        collision=convex_hulls(asset, budget_s=collision_budget_s),
        physics_material=infer_physics_material(asset),
        engine_readiness=engine_readiness(checks, stats, texture_sizes(asset), target),
        geometry=stats,
        target=target,
        source_format=source_format,
        seconds=time.monotonic() - started,
    )

"""The health report of a converted asset (docs/health.md, "Report"): repairs, named
versioned checks, the score, LODs, collision hulls, the physics material, engine
readiness and geometry, as a dataclass, a JSON document and a PDF.

Pure: assets and verdicts in, dataclasses and bytes out.
"""

from health.report.check import Check
from health.report.collision import Collision, Hull, collision_asset, convex_hulls
from health.report.document import report_document
from health.report.geometry import GeometryStats, geometry_stats
from health.report.grading import HealthReport, grade
from health.report.lods import LodLevel, lod_assets, lod_levels
from health.report.pdf import report_pdf
from health.report.physics_material import PhysicsMaterial, infer_physics_material
from health.report.readiness import ENGINES, EngineCheck, EngineReadiness
from health.report.repair import repair
from health.report.score import SCORE_VERSION
from health.report.thumbnail import thumbnail_png

__all__ = [
    "ENGINES",
    "SCORE_VERSION",
    "Check",
    "Collision",
    "EngineCheck",
    "EngineReadiness",
    "GeometryStats",
    "HealthReport",
    "Hull",
    "LodLevel",
    "PhysicsMaterial",
    "collision_asset",
    "convex_hulls",
    "geometry_stats",
    "grade",
    "infer_physics_material",
    "lod_assets",
    "lod_levels",
    "repair",
    "report_document",
    "report_pdf",
    "thumbnail_png",
]

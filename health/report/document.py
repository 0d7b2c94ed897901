"""The report as JSON: the seed's fields first, exactly as USD Refinery's health
endpoint names them (``health_score``, ``fixes_applied``, ``lod_variants``,
``collision_meshes_generated``, ``physics_material_inferred``, ``engine_readiness``,
``geometry``), then the detail behind each of them."""

from __future__ import annotations

from typing import Any

from health.report.grading import HealthReport


def report_document(report: HealthReport) -> dict[str, Any]:
    g = report.geometry
    collision = report.collision
    return {
        "health_score": report.score,
        "fixes_applied": list(report.fixes_applied),
        "lod_variants": len(report.lods),
        "collision_meshes_generated": collision.generated,
        "physics_material_inferred": report.physics_material.kind,
        "engine_readiness": {e: r.ready for e, r in report.engine_readiness.items()},
        "geometry": {
            "vertices": g.vertices,
            "triangles": g.triangles,
            "meshes": g.meshes,
            "materials": g.materials,
            "textures": g.textures,
            "bounds_min": _floats(g.bounds_min),
            "bounds_max": _floats(g.bounds_max),
            "size_m": _floats(g.size_m),
            "up_axis": g.up_axis,
            "meters_per_unit": g.meters_per_unit,
        },
        "score_version": report.score_version,
        "checks": [
            {
                "id": c.id,
                "version": c.version,
                "result": c.result,
                "message": c.message,
                "weight": c.weight,
            }
            for c in report.checks
        ],
        "lods": [
            {"ratio": lod.ratio, "triangles": lod.triangles, "error": round(lod.error, 6)}
            for lod in report.lods
        ],
        "collision": {
            "hulls": len(collision.hulls),
            "hull_vertices": [h.vertices for h in collision.hulls],
            "exact_hull_vertices": [h.exact_vertices for h in collision.hulls],
            "thickened": [h.mesh for h in collision.hulls if h.thickened],
            "failed": list(collision.failed),
            "budget_exceeded": collision.budget_exceeded,
            "seconds": round(collision.seconds, 3),
        },
        "physics_material_reason": report.physics_material.reason,
        "engine_checks": {
            e: [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in r.checks]
            for e, r in report.engine_readiness.items()
        },
        "target": report.target,
        "source_format": report.source_format,
        "report_seconds": round(report.seconds, 3),
    }


def _floats(v: tuple[float, float, float] | None) -> list[float] | None:
    return None if v is None else [round(x, 6) for x in v]

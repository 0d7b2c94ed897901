"""Engine readiness: for each engine a list of concrete, named requirements, each
backed by the report's checks or figures; an engine is ready when all of them hold.

The lists (docs/health.md states them with their reasons):

- unreal: geometry present and finite, normals, UVs where textured, ≤ 1M triangles,
  textures ≤ 8192, plausible scale, the target's validators clean, round trip kept.
- houdini: geometry present and finite, the target's validators clean, round trip kept
  (Houdini takes almost anything a standard validator accepts).
- apple_ar: geometry present and finite, normals, UVs where textured, ARKit rules clean
  (required when the target is USD), ≤ 100k triangles, textures ≤ 2048 and a power of two,
  Y-up, plausible scale.
- web_threejs: geometry present and finite, normals, UVs where textured, 0 glTF-Validator
  errors (required when the target is glTF), ≤ 500k triangles, textures ≤ 4096, round trip
  kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from health.report.check import Check
from health.report.geometry import GeometryStats
from health.report.output_checks import GLTF_TARGETS, USD_TARGETS
from health.report.textures import TextureSize

ENGINES = ("unreal", "houdini", "apple_ar", "web_threejs")


@dataclass(frozen=True)
class EngineCheck:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class EngineReadiness:
    ready: bool
    checks: list[EngineCheck]


def engine_readiness(
    checks: list[Check],
    stats: GeometryStats,
    sizes: list[TextureSize | None],
    target: str,
) -> dict[str, EngineReadiness]:
    by_id = {c.id: c for c in checks}

    def passed(name: str, check_id: str) -> EngineCheck:
        c = by_id[check_id]
        return EngineCheck(name, c.result == "pass", f"{check_id}: {c.result}")

    def not_failed(name: str, check_id: str) -> EngineCheck:
        c = by_id[check_id]
        return EngineCheck(name, c.result != "fail", f"{check_id}: {c.result}")

    def required(name: str, check_id: str, targets: tuple[str, ...]) -> EngineCheck:
        """Must pass for these targets; for others it must only not fail."""
        if target in targets:
            return passed(name, check_id)
        return not_failed(name, check_id)

    def triangles_at_most(limit: int) -> EngineCheck:
        return EngineCheck(
            f"triangles_at_most_{limit}", stats.triangles <= limit, f"{stats.triangles} triangles"
        )

    def textures_at_most(limit: int, power_of_two: bool = False) -> EngineCheck:
        bad = [
            s
            for s in sizes
            if s is None or s.largest > limit or (power_of_two and not s.power_of_two)
        ]
        name = f"textures_at_most_{limit}" + ("_power_of_two" if power_of_two else "")
        return EngineCheck(name, not bad, f"{len(bad)} of {len(sizes)} textures outside")

    def validators_clean() -> EngineCheck:
        ids = ["output.gltf_validator", "output.usd_validation", "output.arkit", "output.fbx"]
        bad = [i for i in ids if by_id[i].result == "fail"]
        return EngineCheck("output_validators_clean", not bad, ", ".join(bad) or "no failures")

    base = [
        passed("has_geometry", "geometry.non_empty"),
        passed("finite_values", "geometry.finite"),
    ]
    surface = [
        passed("normals", "geometry.normals"),
        passed("uvs_where_textured", "geometry.uvs"),
    ]
    kept = not_failed("round_trip_kept", "output.round_trip")
    lists = {
        "unreal": [
            *base,
            *surface,
            triangles_at_most(1_000_000),
            textures_at_most(8192),
            passed("scale_plausible", "scene.scale"),
            validators_clean(),
            kept,
        ],
        "houdini": [*base, validators_clean(), kept],
        "apple_ar": [
            *base,
            *surface,
            required("arkit_clean", "output.arkit", USD_TARGETS),
            triangles_at_most(100_000),
            textures_at_most(2048, power_of_two=True),
            passed("y_up", "scene.y_up"),
            passed("scale_plausible", "scene.scale"),
        ],
        "web_threejs": [
            *base,
            *surface,
            required("gltf_validator_clean", "output.gltf_validator", GLTF_TARGETS),
            triangles_at_most(500_000),
            textures_at_most(4096),
            kept,
        ],
    }
    return {e: EngineReadiness(all(c.ok for c in lists[e]), lists[e]) for e in ENGINES}

"""The checks of what the conversion wrote: the standards' own validators' verdicts
(health.validators) and the round trip (exchange.asset.compare).

A verdict that was not given is ``skip``, never a pass: a target without a glTF file has
no glTF-Validator verdict (nor a non-FBX target an FBX check). A round trip that lost a
mesh, a texture or a material fails.
"""

from __future__ import annotations

from collections.abc import Sequence

from exchange.asset.compare import RoundTrip
from health.report.check import Check, check
from health.validators import ArkitVerdict, FbxVerdict, GltfVerdict, UsdValidationVerdict

GLTF_TARGETS = ("glb", "gltf")
USD_TARGETS = ("usdz", "usd", "usdc", "usda")


def output_checks(
    verdicts: Sequence[object], round_trip: RoundTrip | None, target: str
) -> list[Check]:
    gltf = [v for v in verdicts if isinstance(v, GltfVerdict)]
    arkit = [v for v in verdicts if isinstance(v, ArkitVerdict)]
    usd = [v for v in verdicts if isinstance(v, UsdValidationVerdict)]
    fbx = [v for v in verdicts if isinstance(v, FbxVerdict)]
    return [
        _gltf(gltf, target),
        _arkit(arkit, target),
        _usd(usd, target),
        _fbx(fbx, target),
        _round_trip(round_trip),
    ]


def _gltf(verdicts: list[GltfVerdict], target: str) -> Check:
    if not verdicts:
        return check(
            "output.gltf_validator", 1, 15, "skip", f"no glTF-Validator verdict ({target})"
        )
    errors = sum(v.errors for v in verdicts)
    warnings = sum(v.warnings for v in verdicts)
    codes = sorted(set().union(*(v.codes() for v in verdicts)))
    version = verdicts[0].validator_version
    if errors:
        return check(
            "output.gltf_validator",
            1,
            15,
            "fail",
            f"glTF-Validator {version}: {errors} errors ({', '.join(codes[:5])})",
        )
    return check(
        "output.gltf_validator",
        1,
        15,
        "pass",
        f"glTF-Validator {version}: 0 errors, {warnings} warnings",
    )


def _arkit(verdicts: list[ArkitVerdict], target: str) -> Check:
    if not verdicts:
        return check("output.arkit", 1, 15, "skip", f"no ARKit compliance verdict ({target})")
    bad = [v for v in verdicts if not v.ok]
    if bad:
        rules = sorted(set().union(*(v.failed_rules for v in bad)))
        count = sum(len(v.errors) + len(v.failed_checks) for v in bad)
        return check(
            "output.arkit",
            1,
            15,
            "fail",
            f"ARKit rules: {count} errors ({', '.join(r for r in rules if r) or 'unnamed'})",
        )
    return check(
        "output.arkit", 1, 15, "pass", f"ARKit rules clean (usd-core {verdicts[0].usd_version})"
    )


def _usd(verdicts: list[UsdValidationVerdict], target: str) -> Check:
    usable = [v for v in verdicts if v.available]
    if not usable:
        return check("output.usd_validation", 1, 10, "skip", f"no UsdValidation verdict ({target})")
    errors = sum(len(v.errors) for v in usable)
    warnings = sum(len(v.warnings) for v in usable)
    failed = sorted(set().union(*(v.failed_validators for v in usable)))
    if errors:
        return check(
            "output.usd_validation",
            1,
            10,
            "fail",
            f"UsdValidation: {errors} errors ({', '.join(failed[:5])})",
        )
    return check(
        "output.usd_validation",
        1,
        10,
        "warn" if warnings else "pass",
        f"UsdValidation: 0 errors, {warnings} warnings ({len(usable[0].validators)} validators)",
    )


def _fbx(verdicts: list[FbxVerdict], target: str) -> Check:
    """An FBX re-read by ufbx: it loads, has meshes and every material texture embedded
    (fail otherwise); not Y-up metres, which engines then convert on import, is a warn."""
    if not verdicts:
        return check("output.fbx", 1, 15, "skip", f"no FBX check verdict ({target})")
    problems = []
    for v in verdicts:
        problems += list(v.errors)
        if not v.errors and not v.meshes:
            problems.append("no meshes")
        if v.textures_missing:
            problems.append(
                f"{len(v.textures_missing)} textures not embedded "
                f"({', '.join(v.textures_missing[:5])})"
            )
    version = verdicts[0].ufbx_version
    if problems:
        return check("output.fbx", 1, 15, "fail", f"ufbx {version}: " + "; ".join(problems))
    found = (
        f"ufbx {version}: {sum(v.meshes for v in verdicts)} meshes, "
        f"{sum(v.triangles for v in verdicts)} triangles, "
        f"{sum(len(v.textures_embedded) for v in verdicts)} textures embedded"
    )
    skewed = [v for v in verdicts if not v.y_up_metres]
    if skewed:
        axes = ", ".join(f"{v.up_axis} up, 1 unit = {v.unit_meters:g} m" for v in skewed)
        return check("output.fbx", 1, 15, "warn", f"{found}; not Y-up metres ({axes})")
    return check("output.fbx", 1, 15, "pass", f"{found}; Y-up, 1 unit = 1 m")


def _round_trip(round_trip: RoundTrip | None) -> Check:
    if round_trip is None:
        return check("output.round_trip", 1, 20, "skip", "no round trip given")
    if round_trip.problems:
        return check("output.round_trip", 1, 20, "fail", "; ".join(round_trip.problems))
    after = round_trip.after
    equal = (
        f"re-read output equal: {after.triangles} triangles, {after.materials} materials, "
        f"{after.textures} textures"
    )
    if round_trip.dropped:  # the format's own limits: said, and costs half the weight
        return check("output.round_trip", 1, 20, "warn", "; ".join([equal, *round_trip.dropped]))
    return check("output.round_trip", 1, 20, "pass", equal)

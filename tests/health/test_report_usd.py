"""The report on a USDZ conversion graded with OpenUSD's own verdicts: ARKit rules and
UsdValidation decide output.arkit, output.usd_validation and apple_ar readiness."""

from __future__ import annotations

from exchange.asset import compare, normalised, read_asset, write_asset
from health.report import grade, repair
from health.validators import check_arkit, validate_usd
from testdata import ASSETS


def test_the_duck_as_usdz_is_arkit_clean_and_apple_ready(tmp_path):
    asset, fixes = repair(normalised(read_asset(ASSETS / "Duck.glb")))
    out = tmp_path / "Duck.usdz"
    write_asset(asset, out, "usdz")

    report = grade(
        asset,
        fixes=fixes,
        verdicts=[check_arkit(out), validate_usd(out)],
        round_trip=compare(asset, read_asset(out)),
        target="usdz",
        source_format="glb",
    )

    assert report.check("output.arkit").result == "pass"
    assert report.check("output.usd_validation").result == "pass"
    assert report.check("output.gltf_validator").result == "skip"
    assert report.check("output.round_trip").result == "pass"
    assert report.score >= 95
    assert report.engine_readiness["apple_ar"].ready


def test_arkit_failures_fail_the_check_and_apple_readiness(tmp_path):
    asset, fixes = repair(normalised(read_asset(ASSETS / "Duck.glb")))
    # a real verdict that breaks ARKit rules (the sample's textures, metadata and extension)
    failing = [
        check_arkit(ASSETS / "RoughnessTest.usdz"),
        validate_usd(ASSETS / "RoughnessTest.usdz"),
    ]
    assert not failing[0].ok

    report = grade(
        asset, fixes=fixes, verdicts=failing, round_trip=None, target="usdz", source_format="glb"
    )

    arkit = report.check("output.arkit")
    assert arkit.result == "fail" and "StageMetadataChecker" in arkit.message
    assert report.check("output.usd_validation").result == "fail"
    apple = report.engine_readiness["apple_ar"]
    assert not apple.ready
    assert [c.name for c in apple.checks if not c.ok] == ["arkit_clean"]
    assert report.score <= 100 - 15 - 10

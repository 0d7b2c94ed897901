"""OpenUSD's ARKit rules and UsdValidation through health.validators, on real USDZs."""

from __future__ import annotations

import pytest
from usd_files import textured_quad_usda, usdz

from health.validators import ValidatorFailed, check_arkit, validate_usd
from testdata import ASSETS


def test_a_textured_usdz_written_to_the_rules_passes_both_checkers(tmp_path):
    package = usdz(textured_quad_usda(tmp_path))

    arkit = check_arkit(package)
    validation = validate_usd(package)

    assert arkit.ok, arkit
    assert (arkit.errors, arkit.failed_checks) == ((), ())
    assert arkit.usd_version == "0.26.5"
    assert validation.ok, validation.issues
    assert validation.available
    assert "usdUtilsValidators:UsdzPackageValidator" in validation.validators


def test_an_unsupported_texture_format_breaks_named_rules(tmp_path):
    package = usdz(textured_quad_usda(tmp_path, texture="albedo.bmp"))

    arkit = check_arkit(package)
    validation = validate_usd(package)

    assert not arkit.ok
    assert arkit.failed_rules == {"TextureChecker", "ARKitFileExtensionChecker"}
    assert any("albedo.bmp" in issue.message for issue in arkit.failed_checks)
    assert not validation.ok
    assert validation.failed_validators == {"usdUtilsValidators:FileExtensionValidator"}
    assert validation.errors[0].name == "UnsupportedFileExtensionInPackage"


def test_a_z_up_stage_breaks_the_arkit_metadata_rule(tmp_path):
    arkit = check_arkit(usdz(textured_quad_usda(tmp_path, up_axis="Z")))

    assert arkit.failed_rules == {"StageMetadataChecker"}
    assert "upAxis 'Z'" in arkit.failed_checks[0].message


def test_a_real_z_up_usdz_with_a_tga_texture_fails_arkit():
    arkit = check_arkit(ASSETS / "RoughnessTest.usdz")
    validation = validate_usd(ASSETS / "RoughnessTest.usdz")

    assert {"TextureChecker", "ARKitFileExtensionChecker", "StageMetadataChecker"} <= (
        arkit.failed_rules
    )
    assert "usdUtilsValidators:FileExtensionValidator" in validation.failed_validators
    tga = next(i for i in validation.errors if i.name == "UnsupportedFileExtensionInPackage")
    assert "roughness.tga" in tga.message


def test_a_plain_usda_layer_is_validated_too(tmp_path):
    validation = validate_usd(textured_quad_usda(tmp_path))

    assert validation.ok, validation.issues


def test_a_file_usd_cannot_open_gives_no_verdict(tmp_path):
    broken = tmp_path / "broken.usda"
    broken.write_text("#usda 1.0\n( this is not USD\n")

    with pytest.raises(ValidatorFailed, match=r"cannot open broken\.usda"):
        validate_usd(broken)


def test_a_missing_file_is_not_a_verdict(tmp_path):
    with pytest.raises(FileNotFoundError):
        check_arkit(tmp_path / "absent.usdz")

"""OpenUSD's own checkers from usd-core: the ARKit compliance rules for a USDZ, and the
UsdValidation framework's registered validators for any USD layer.

`pxr` is imported inside the functions: importing health must not need usd-core, and a
machine without it gets :class:`ValidatorUnavailable`, not an ImportError at start-up.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from health.validators.errors import ValidatorFailed, ValidatorUnavailable

_RULE = re.compile(r"^(?P<message>.*?)\s*\(fails '(?P<rule>[A-Za-z0-9_]+)'\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class ComplianceIssue:
    """One line of the ComplianceChecker: its message and, when it names one, the rule
    it breaks (e.g. ``TextureChecker``, ``ARKitFileExtensionChecker``)."""

    message: str
    rule: str | None


@dataclass(frozen=True)
class ArkitVerdict:
    """``UsdUtils.ComplianceChecker(arkit=True)``'s result: ``errors`` (the checker could
    not check something), ``failed_checks`` (rules broken) and ``warnings``."""

    usd_version: str
    errors: tuple[ComplianceIssue, ...]
    failed_checks: tuple[ComplianceIssue, ...]
    warnings: tuple[ComplianceIssue, ...]

    @property
    def ok(self) -> bool:
        """ARKit-clean: no errors and no failed checks."""
        return not self.errors and not self.failed_checks

    @property
    def failed_rules(self) -> set[str]:
        """The named rules among the errors and failed checks."""
        return {i.rule for i in (*self.errors, *self.failed_checks) if i.rule}


@dataclass(frozen=True)
class UsdIssue:
    """One UsdValidation error: the validator that raised it
    (``usdUtilsValidators:FileExtensionValidator``), its error name, severity
    (error | warning | info), message and the prim/property/layer paths it points at."""

    validator: str
    name: str
    severity: str
    message: str
    sites: tuple[str, ...]


@dataclass(frozen=True)
class UsdValidationVerdict:
    """Every registered UsdValidation validator run on one stage. ``available`` is false
    when this usd-core predates the framework (< 24.11): then nothing was checked."""

    usd_version: str
    available: bool
    validators: tuple[str, ...]
    issues: tuple[UsdIssue, ...]

    @property
    def errors(self) -> tuple[UsdIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[UsdIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """Checked, and no errors (warnings and infos are advice)."""
        return self.available and not self.errors

    @property
    def failed_validators(self) -> set[str]:
        return {i.validator for i in self.errors}


def check_arkit(path: Path) -> ArkitVerdict:
    """Run OpenUSD's ARKit rules (the ones `usdchecker --arkit` used) on ``path``."""
    pxr = _pxr()
    path = _existing(path)
    with warnings.catch_warnings():
        # usd-core 25+ marks the checker deprecated in favour of UsdValidation; the ARKit
        # rule set exists only here, and the issue asks for exactly this checker.
        warnings.simplefilter("ignore", DeprecationWarning)
        checker = pxr.UsdUtils.ComplianceChecker(arkit=True)
    checker.CheckCompliance(str(path))
    return ArkitVerdict(
        usd_version=_version(pxr),
        errors=_issues(checker.GetErrors()),
        failed_checks=_issues(checker.GetFailedChecks()),
        warnings=_issues(checker.GetWarnings()),
    )


def validate_usd(path: Path) -> UsdValidationVerdict:
    """Run every validator UsdValidation registers (composition, metadata, shading,
    geometry, skeleton, physics, USDZ packaging …) on the stage at ``path``."""
    return _validate(path, keyword=None)


PHYSICS_KEYWORD = "UsdPhysicsValidators"
"""The keyword usd-core's UsdPhysics validators register under (26.5: RigidBodyChecker,
ColliderChecker, ArticulationChecker, PhysicsJointChecker)."""


def validate_usd_physics(path: Path) -> UsdValidationVerdict:
    """Run only usd-core's UsdPhysics validators on the stage at ``path``: what OpenUSD
    itself says of its rigid bodies, colliders, articulations and joints, apart from the
    rest of :func:`validate_usd`. ``validators`` empty: this usd-core registers none."""
    return _validate(path, keyword=PHYSICS_KEYWORD)


def _validate(path: Path, keyword: str | None) -> UsdValidationVerdict:
    pxr = _pxr()
    path = _existing(path)
    version = _version(pxr)
    try:
        from pxr import UsdValidation
    except ImportError:
        return UsdValidationVerdict(version, available=False, validators=(), issues=())
    try:
        stage = pxr.Usd.Stage.Open(str(path))
    except pxr.Tf.ErrorException as exc:
        raise ValidatorFailed(f"OpenUSD cannot open {path.name}: {exc}") from exc
    registry = UsdValidation.ValidationRegistry()
    if keyword is None:
        validators = registry.GetOrLoadAllValidators()
    else:
        names = [m.name for m in registry.GetValidatorMetadataForKeyword(keyword)]
        validators = registry.GetOrLoadValidatorsByName(names) if names else []
    found = UsdValidation.ValidationContext(validators).Validate(stage) if validators else []
    return UsdValidationVerdict(
        usd_version=version,
        available=True,
        validators=tuple(sorted(v.GetMetadata().name for v in validators)),
        issues=tuple(_usd_issue(e) for e in found if not e.HasNoError()),
    )


def _pxr() -> ModuleType:
    try:
        import pxr
        from pxr import Tf, Usd, UsdUtils  # noqa: F401  (loads the submodules used above)
    except ImportError as exc:
        raise ValidatorUnavailable(
            "usd-core is not installed: OpenUSD's checkers need it (make install)"
        ) from exc
    return pxr


def _existing(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def _version(pxr: ModuleType) -> str:
    return ".".join(str(n) for n in pxr.Usd.GetVersion())


def _issues(lines: list[str]) -> tuple[ComplianceIssue, ...]:
    out = []
    for line in lines:
        match = _RULE.match(line)
        if match:
            out.append(ComplianceIssue(match["message"], match["rule"]))
        else:
            out.append(ComplianceIssue(line, None))
    return tuple(out)


def _usd_issue(error: Any) -> UsdIssue:
    validator = error.GetValidator()
    return UsdIssue(
        validator=validator.GetMetadata().name if validator else "",
        name=str(error.GetName()),
        severity=_severity(error.GetType()),
        message=str(error.GetMessage()),
        sites=tuple(_site(s) for s in error.GetSites()),
    )


def _severity(kind: Any) -> str:
    name = str(kind).rsplit(".", 1)[-1]
    return {"Error": "error", "Warn": "warning", "Info": "info"}.get(name, name.lower())


def _site(site: Any) -> str:
    if site.IsPrim():
        return str(site.GetPrim().GetPath())
    if site.IsProperty():
        return str(site.GetProperty().GetPath())
    layer = site.GetLayer()
    return str(layer.identifier) if layer else ""

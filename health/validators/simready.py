"""NVIDIA's SimReady validator (`simready-validate`, the simready-validate package with
the tier-core profiles), run as its authors ship it: the CLI, in a child process, its
JSON report read back.

A child process rather than the Python API: the validator loads every requirement's
OpenUSD plugins and logging into the process that calls it, and a stage it cannot finish
must cost a timeout, not the caller. The verdict is the CLI's own: the asset passes when
no feature failed a requirement the profile marks mandatory (its
``features_summary_passed``); an optional feature the asset does not implement is listed,
never counted against it.

OpenUSD's own UsdPhysics validators, the other verdict a SimReady USD gets, live with the
rest of UsdValidation (:func:`health.validators.usd.validate_usd_physics`) and are
re-exported here beside it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from health.validators.errors import ValidatorFailed, ValidatorUnavailable
from health.validators.usd import validate_usd_physics

__all__ = [
    "SimReadyFailure",
    "SimReadyVerdict",
    "validate_simready",
    "validate_usd_physics",
]

EXECUTABLE = "simready-validate"


@dataclass(frozen=True)
class SimReadyFailure:
    """One requirement a feature failed: its code (``com.nvidia.simready.RB.001``) and
    the validator's messages (none for optional features: the report carries none)."""

    feature: str
    requirement: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class SimReadyVerdict:
    """``passed``: the profile's mandatory requirements all hold. ``failures`` are those
    that do not; ``optional_unmet`` the requirements of optional features not met."""

    passed: bool
    profile: str
    version: str
    validator_version: str
    failures: tuple[SimReadyFailure, ...]
    optional_unmet: tuple[SimReadyFailure, ...]
    seconds: float

    @property
    def failed_requirements(self) -> set[str]:
        """The short codes (``RB.001``) of the mandatory requirements that failed."""
        return {_short(f.requirement) for f in self.failures}


def validate_simready(
    usd: Path, *, profile: str = "Robotics-Prop", version: str | None = None, timeout_s: float = 120
) -> SimReadyVerdict:
    """Validate the USD at ``usd`` against ``profile`` at ``version`` (None: the newest
    the installed tier registers).

    Raises :class:`ValidatorUnavailable` when ``simready-validate`` is not installed beside
    this Python and :class:`ValidatorFailed` when it times out or gives no result (an
    unknown profile or version, a stage it cannot open).
    """
    usd = Path(usd)
    if not usd.is_file():
        raise FileNotFoundError(usd)
    command = [str(_executable()), "--profile", profile]
    command += ["--version", version] if version else []
    with tempfile.TemporaryDirectory(prefix="meshfarm-simready-") as tmp:
        report = Path(tmp) / "report.json"
        command += ["--output", str(report), str(usd.resolve())]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired as exc:
            raise ValidatorFailed(f"simready-validate took longer than {timeout_s:g} s") from exc
        seconds = time.monotonic() - started
        results = json.loads(report.read_text()) if report.is_file() else {}
    if len(results) != 1:
        said = (done.stdout + done.stderr).decode(errors="replace").strip()[-2000:]
        raise ValidatorFailed(f"simready-validate gave no result for {usd.name}: {said}")
    (result,) = results.values()
    return _verdict(result, seconds)


def _executable() -> Path:
    found = Path(sys.executable).parent / EXECUTABLE
    if not found.is_file():
        raise ValidatorUnavailable(
            f"{EXECUTABLE} is not installed beside {sys.executable} (pip install "
            "simready-validate simready-foundation-tier-core: make install)"
        )
    return found


def _verdict(result: dict[str, Any], seconds: float) -> SimReadyVerdict:
    failures: list[SimReadyFailure] = []
    optional: list[SimReadyFailure] = []
    summary: dict[str, dict[str, Any]] = result["features_summary"]
    blocked = False
    for feature, entry in sorted(summary.items()):
        if entry.get("passed"):
            continue
        messages = json.loads(entry.get("requirement_messages") or "{}")
        # An entry that does not say is blocking, as the validator's own reading has it.
        if entry.get("blocking_failure", True):
            blocked = True
            failures += [
                SimReadyFailure(feature, code, tuple(messages.get(code, ())))
                for code in _codes(entry.get("failing requirements"))
            ]
        else:
            optional += [
                SimReadyFailure(feature, code, tuple(messages.get(code, ())))
                for code in _codes(entry.get("optional requirements"))
            ]
    return SimReadyVerdict(
        passed=bool(summary) and not blocked,
        profile=str(result["profile_id"]),
        version=str(result["profile_version"]),
        validator_version=str(result.get("simready_validate_version", "")),
        failures=tuple(failures),
        optional_unmet=tuple(optional),
        seconds=seconds,
    )


def _codes(listed: Any) -> list[str]:
    """The report writes requirement lists as Python reprs (``"['a', 'b']"``)."""
    if not listed:
        return []
    if isinstance(listed, list):
        return [str(c) for c in listed]
    return [str(c) for c in ast.literal_eval(str(listed))]


def _short(code: str) -> str:
    for prefix in ("com.nvidia.simready.", "com.nvidia.usd."):
        if code.startswith(prefix):
            return code[len(prefix) :]
    return code

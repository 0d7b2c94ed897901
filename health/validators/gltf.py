"""The Khronos glTF-Validator, as its npm package ships it, run under the machine's Node.

The validator is a JS library (`validateBytes`), so `tools/gltf-validator/validate.mjs`
wraps it: it reads one file, resolves the file's external resources (its .bin, its
textures) only inside the file's own folder, and prints the report as JSON. This module
runs that script in a child process — with a timeout and a bounded report, so a hostile
file costs a bounded amount — and turns the report into a typed verdict.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from health.validators.errors import ValidatorFailed, ValidatorUnavailable

TOOL_DIR = Path(__file__).resolve().parents[2] / "tools" / "gltf-validator"
"""Where `make install` puts the pinned npm package (tools/gltf-validator/package.json)."""

MAX_REPORT_BYTES = 8 * 1024 * 1024
"""A report larger than this is refused; `max_issues` keeps real ones far below it."""

SEVERITIES = ("error", "warning", "info", "hint")
"""The validator's severity numbers 0..3, in its own words."""


@dataclass(frozen=True)
class GltfMessage:
    """One issue as the validator words it: its code (e.g. ``ACCESSOR_INDEX_OOB``) and
    where it is, as a JSON pointer into the document or a byte offset into a GLB."""

    code: str
    message: str
    severity: str
    pointer: str | None = None
    offset: int | None = None


@dataclass(frozen=True)
class GltfVerdict:
    """The validator's report: counts per severity, the messages (at most ``max_issues``;
    ``truncated`` says more were found) and the validator's version."""

    validator_version: str
    errors: int
    warnings: int
    infos: int
    hints: int
    messages: tuple[GltfMessage, ...]
    truncated: bool

    @property
    def ok(self) -> bool:
        """The standard's bar: no errors (warnings, infos and hints are advice)."""
        return self.errors == 0

    def codes(self, severity: str = "error") -> set[str]:
        """The distinct codes reported at ``severity``."""
        return {m.code for m in self.messages if m.severity == severity}


def validate_gltf(
    path: Path,
    *,
    tool_dir: Path = TOOL_DIR,
    node: str = "node",
    timeout_s: float = 60.0,
    max_issues: int = 1000,
) -> GltfVerdict:
    """Validate the .glb or .gltf at ``path`` (its resources read from its folder only;
    any other name: the format is detected from the bytes).

    Raises :class:`ValidatorUnavailable` when Node.js or the npm package is missing and
    :class:`ValidatorFailed` when the validator times out or gives no report.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    command = [_node(node), str(_script(tool_dir)), str(path.resolve()), str(max_issues)]
    # The name says what the file claims to be: a .glb that is not one is then reported
    # as the validator's GLB errors rather than "could not detect glTF format".
    command += [path.suffix.lower().lstrip(".")] if path.suffix.lower() in (".glb", ".gltf") else []
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            raise ValidatorFailed(f"glTF-Validator took longer than {timeout_s:g} s") from exc
        if done.returncode != 0:
            err.seek(0)
            reason = err.read(2000).decode(errors="replace").strip()
            raise ValidatorFailed(f"glTF-Validator gave no report: {reason}")
        if out.tell() > MAX_REPORT_BYTES:
            raise ValidatorFailed(f"glTF-Validator's report exceeds {MAX_REPORT_BYTES} bytes")
        out.seek(0)
        report = json.loads(out.read())
    return _verdict(report)


def _node(node: str) -> str:
    found = shutil.which(node)
    if found is None:
        raise ValidatorUnavailable(
            f"Node.js ({node!r}) is not installed: the glTF-Validator needs it (apt-get "
            "install nodejs npm, then make install)"
        )
    return found


def _script(tool_dir: Path) -> Path:
    script = tool_dir / "validate.mjs"
    package = tool_dir / "node_modules" / "gltf-validator" / "package.json"
    if not script.is_file() or not package.is_file():
        raise ValidatorUnavailable(
            f"the npm package gltf-validator is not installed in {tool_dir} (run make install)"
        )
    return script


def _verdict(report: dict[str, Any]) -> GltfVerdict:
    issues = report["issues"]
    return GltfVerdict(
        validator_version=str(report["validatorVersion"]),
        errors=int(issues["numErrors"]),
        warnings=int(issues["numWarnings"]),
        infos=int(issues["numInfos"]),
        hints=int(issues["numHints"]),
        messages=tuple(
            GltfMessage(
                code=str(m["code"]),
                message=str(m["message"]),
                severity=SEVERITIES[int(m["severity"])],
                pointer=m.get("pointer"),
                offset=m.get("offset"),
            )
            for m in issues["messages"]
        ),
        truncated=bool(issues["truncated"]),
    )

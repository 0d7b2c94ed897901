"""An FBX checked by a reader that is not the one that wrote it: ufbx (its Python
bindings), not Blender.

FBX has no official validator. What goes wrong in practice is silent: Blender's exporter
with its default ``path_mode`` writes texture *paths* instead of the images, so the file
opens everywhere and draws untextured. ufbx reads the file as an engine's importer would,
from its own bytes only (no external file is opened), and the verdict says what it found:
meshes, triangles, materials, which material textures carry their image in the file and
which do not, the file's up axis and unit.

ufbx runs in a child interpreter (:mod:`health.validators.fbx_probe`, with a time limit and
a bounded report): its bindings can crash the process that uses them, which must never be
a worker. Importing health does not need ufbx; a machine without it gets
:class:`ValidatorUnavailable`, a probe that crashes or hangs :class:`ValidatorFailed`.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from health.validators.errors import ValidatorFailed, ValidatorUnavailable

PROBE = Path(__file__).resolve().parent / "fbx_probe.py"
TIMEOUT_S = 120.0
MAX_REPORT_BYTES = 1024 * 1024

Bounds = tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class FbxVerdict:
    """What ufbx read. ``textures_embedded`` / ``textures_missing`` name the textures the
    materials use whose image is / is not inside the file; ``up_axis`` is the file's
    (``"+Y"``, ``"+Z"`` …), ``unit_meters`` the length of one unit; ``bounds`` the world
    box of every mesh instance in file units (None without meshes)."""

    ufbx_version: str
    meshes: int
    triangles: int
    materials: int
    textures_embedded: tuple[str, ...]
    textures_missing: tuple[str, ...]
    up_axis: str
    unit_meters: float
    bounds: Bounds | None
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Loads, has meshes, and every texture a material uses is embedded."""
        return not self.errors and self.meshes > 0 and not self.textures_missing

    @property
    def y_up_metres(self) -> bool:
        """What Unity, Unreal and Maya expect without an import-time fix."""
        return self.up_axis == "+Y" and abs(self.unit_meters - 1.0) < 1e-6


def check_fbx(path: Path, timeout_s: float = TIMEOUT_S) -> FbxVerdict:
    """Read ``path`` with ufbx and say what an engine importing it gets."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    if importlib.util.find_spec("ufbx") is None:
        raise ValidatorUnavailable("ufbx is not installed: the FBX check needs it (make install)")
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(PROBE), str(path)],
            capture_output=True,
            timeout=timeout_s,
            check=False,
            env={"LANG": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        raise ValidatorFailed(f"ufbx took longer than {timeout_s:.0f} s on {path.name}") from None
    if done.returncode != 0 or len(done.stdout) > MAX_REPORT_BYTES:
        raise ValidatorFailed(f"ufbx gave no report on {path.name} (exit {done.returncode})")
    found = json.loads(done.stdout)
    bounds = found["bounds"]
    return FbxVerdict(
        ufbx_version=found["version"],
        meshes=found["meshes"],
        triangles=found["triangles"],
        materials=found["materials"],
        textures_embedded=tuple(found["textures_embedded"]),
        textures_missing=tuple(found["textures_missing"]),
        up_axis=found["up_axis"],
        unit_meters=found["unit_meters"],
        bounds=(tuple(bounds[0]), tuple(bounds[1])) if bounds else None,
        errors=tuple(e.replace(str(path), path.name) for e in found["errors"]),
    )

"""The FBX check (ufbx, not Blender): it says what an engine importing the file gets, and
it fails the files that open fine but lost their textures — the FBX Blender writes with
its default export settings — so a pass means something."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from exchange.asset import read_asset
from exchange.asset.glb_out import write_glb
from health.report.output_checks import output_checks
from health.validators import FbxVerdict, check_fbx

ASSETS = Path(__file__).resolve().parents[1] / "assets"
FBX = ASSETS / "fbx"
BLENDER = Path(__file__).resolve().parents[2] / ".venv-blender" / "bin" / "python"
DEFAULT_EXPORT = (
    "import sys, bpy\n"
    "src, dest = sys.argv[sys.argv.index('--') + 1:]\n"
    "bpy.ops.wm.read_factory_settings(use_empty=True)\n"
    "bpy.ops.import_scene.gltf(filepath=src)\n"
    "bpy.ops.export_scene.fbx(filepath=dest)\n"  # every setting as Blender ships it
)


def _graded(verdict: FbxVerdict) -> tuple[str, str]:
    (fbx,) = [c for c in output_checks([verdict], None, "fbx") if c.id == "output.fbx"]
    return fbx.result, fbx.message


def test_an_fbx_with_its_texture_embedded_passes() -> None:
    verdict = check_fbx(FBX / "textured_cube_embedded.fbx")
    assert verdict.ok and not verdict.errors
    assert (verdict.meshes, verdict.triangles, verdict.materials) == (1, 12, 1)
    assert len(verdict.textures_embedded) == 1 and verdict.textures_missing == ()
    assert verdict.up_axis == "+Y"
    result, message = _graded(verdict)
    # Blender's FBX_SCALE_NONE default: 1 unit = 1 cm, an engine rescales it on import
    assert verdict.unit_meters == pytest.approx(0.01)
    assert result == "warn" and "1 unit = 0.01 m" in message


def test_an_fbx_that_only_names_its_texture_file_fails() -> None:
    """textured_cube_up.fbx refers to its PNG by a relative path: the image is not in the
    file, so an engine given the FBX alone draws the box untextured."""
    verdict = check_fbx(FBX / "textured_cube_up.fbx")
    assert not verdict.ok
    assert verdict.meshes == 1 and verdict.textures_embedded == ()
    assert len(verdict.textures_missing) == 1
    result, message = _graded(verdict)
    assert result == "fail" and "1 textures not embedded" in message


def test_a_file_ufbx_cannot_read_fails_without_a_path(tmp_path: Path) -> None:
    bad = tmp_path / "broken.fbx"
    bad.write_bytes(b"Kaydara FBX Binary  \x00\x1a\x00" + b"\xff" * 64)
    verdict = check_fbx(bad)
    assert not verdict.ok and verdict.errors and verdict.meshes == 0
    assert str(tmp_path) not in " ".join(verdict.errors)
    assert _graded(verdict)[0] == "fail"


def test_no_verdict_is_a_skip_and_a_missing_file_is_no_verdict(tmp_path: Path) -> None:
    (fbx,) = [c for c in output_checks([], None, "glb") if c.id == "output.fbx"]
    assert fbx.result == "skip"
    with pytest.raises(FileNotFoundError):
        check_fbx(tmp_path / "absent.fbx")


@pytest.mark.skipif(not BLENDER.is_file(), reason="no .venv-blender (make install)")
def test_blenders_default_export_is_shown_to_drop_the_textures(tmp_path: Path) -> None:
    """The issue's case: Blender's exporter with its defaults (path_mode AUTO) writes a
    valid FBX whose texture is a path to an image that is not there."""
    glb = tmp_path / "duck.glb"
    write_glb(read_asset(ASSETS / "Duck.glb"), glb)
    out = tmp_path / "duck.fbx"
    done = subprocess.run(
        [str(BLENDER), "-c", DEFAULT_EXPORT, "--", str(glb), str(out)],
        capture_output=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
    verdict = check_fbx(out)
    assert verdict.meshes == 1 and verdict.triangles == 4212  # the mesh is there …
    assert verdict.textures_embedded == () and len(verdict.textures_missing) == 1
    assert not verdict.ok  # … its texture is not
    assert _graded(verdict)[0] == "fail"

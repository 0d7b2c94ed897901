"""FBX in through Blender (a subprocess of .venv-blender): the GLB it becomes is valid,
keeps the triangles, materials and textures, the file's units and up axis, and never
reads a texture from outside the upload; broken files and a missing Blender are refused
with a message for the sender."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from exchange.asset import normalised, read_asset, summary, write_asset
from exchange.asset.fbx_in import read_fbx_asset
from exchange.asset.model import Asset
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.limits import AssetLimits
from health.validators import validate_gltf

ASSETS = Path(__file__).resolve().parents[1] / "assets"
FBX = ASSETS / "fbx"
BLENDER = Path(__file__).resolve().parents[2] / ".venv-blender" / "bin" / "python"
LIMITS = AssetLimits()
GOOD = {
    "global_settings.fbx": (1352, 1, 0),
    "huesitos.fbx": (120, 1, 0),
    "textured_cube_embedded.fbx": (12, 1, 1),
}
"""FBX → triangles, materials, textures of the GLB it converts to."""

pytestmark = pytest.mark.skipif(not BLENDER.is_file(), reason="no .venv-blender (make install)")


@pytest.mark.parametrize("name", sorted(GOOD))
def test_fbx_converts_to_a_valid_glb(name: str, tmp_path: Path) -> None:
    asset = normalised(read_fbx_asset(FBX / name, LIMITS, BLENDER))
    write_asset(asset, tmp_path / "out.glb", "glb")
    verdict = validate_gltf(tmp_path / "out.glb")
    assert verdict.errors == 0, verdict.messages
    back = summary(read_asset(tmp_path / "out.glb"))
    assert (back.triangles, back.materials, back.textures) == GOOD[name]
    assert back == summary(asset)


def test_a_material_written_with_opacity_0_is_drawn() -> None:
    """huesitos.fbx's only material says opacity 0 (transparency written backwards): taken
    at its word the model draws nothing; nothing feeds the alpha, so it is opaque."""
    asset = read_fbx_asset(FBX / "huesitos.fbx", LIMITS, BLENDER)
    assert [m.base_color[3] for m in asset.materials] == [1.0]


def test_the_files_unit_scale_is_applied() -> None:
    """global_settings.fbx says 1 unit = 500 cm: its 2-unit cube is 10 m wide."""
    asset = read_fbx_asset(FBX / "global_settings.fbx", LIMITS, BLENDER)
    cube = next(i for i, n in enumerate(asset.nodes) if n.name == "Cube")
    bounds = summary(Asset(asset.nodes, [cube], asset.meshes, asset.materials)).bounds
    assert bounds is not None
    low, high = np.array(bounds)
    assert np.allclose(high - low, (10.0, 10.0, 10.0), atol=1e-3)


def test_up_stays_up() -> None:
    """A box 6 m tall along Blender's +Z (FBX written Y-up) is 6 m tall along glTF's +Y."""
    summary_ = summary(read_fbx_asset(FBX / "textured_cube_embedded.fbx", LIMITS, BLENDER))
    assert summary_.bounds is not None
    low, high = np.array(summary_.bounds)
    assert np.allclose(high - low, (2.0, 6.0, 2.0), atol=1e-4)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


CHECKER = _pixels((ASSETS / "ktx2" / "checker.png").read_bytes())


def test_embedded_texture_keeps_its_pixels() -> None:
    """Blender re-encodes the PNG it unpacks (new chunks), but not its pixels."""
    (texture,) = read_fbx_asset(FBX / "textured_cube_embedded.fbx", LIMITS, BLENDER).textures()
    assert texture.mime == "image/png"
    assert np.array_equal(_pixels(texture.data), CHECKER)


@pytest.mark.slow
def test_textures_come_only_from_the_uploads_folder(tmp_path: Path) -> None:
    """textured_cube_up.fbx names ``../checker.png``: one folder above the upload it is
    not read; beside the FBX (found by its name) it is."""
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(FBX / "textured_cube_up.fbx", upload / "cube.fbx")
    shutil.copy(ASSETS / "ktx2" / "checker.png", tmp_path / "checker.png")
    assert read_fbx_asset(upload / "cube.fbx", LIMITS, BLENDER).textures() == []
    shutil.copy(ASSETS / "ktx2" / "checker.png", upload / "checker.png")
    (found,) = read_fbx_asset(upload / "cube.fbx", LIMITS, BLENDER).textures()
    assert np.array_equal(_pixels(found.data), CHECKER)


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_a_truncated_fbx_is_refused_cleanly(cut: float, tmp_path: Path) -> None:
    data = (FBX / "huesitos.fbx").read_bytes()
    (tmp_path / "cut.fbx").write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(AssetInvalid) as refused:
        read_fbx_asset(tmp_path / "cut.fbx", LIMITS, BLENDER)
    message = str(refused.value)
    assert "FBX" in message and "/" not in message and "Traceback" not in message


def test_garbage_is_not_an_fbx(tmp_path: Path) -> None:
    (tmp_path / "junk.fbx").write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(AssetInvalid, match="not a binary FBX"):
        read_fbx_asset(tmp_path / "junk.fbx", LIMITS, BLENDER)


def test_ascii_fbx_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.fbx").write_text("; FBX 7.7.0 project file\nFBXHeaderExtension:  {\n}\n")
    with pytest.raises(AssetUnsupported, match="ASCII FBX"):
        read_fbx_asset(tmp_path / "a.fbx", LIMITS, BLENDER)


@pytest.mark.parametrize("python", [None, Path("/nonexistent/bin/python")])
def test_without_blender_fbx_is_unsupported(python: Path | None) -> None:
    with pytest.raises(AssetUnsupported, match="needs Blender"):
        read_fbx_asset(FBX / "huesitos.fbx", LIMITS, python)


def test_a_conversion_past_its_time_is_stopped() -> None:
    with pytest.raises(AssetInvalid, match="longer than"):
        read_fbx_asset(FBX / "huesitos.fbx", LIMITS, BLENDER, timeout_s=0.05)


def test_a_link_out_of_the_upload_is_not_followed(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(FBX / "textured_cube_up.fbx", upload / "cube.fbx")
    shutil.copy(ASSETS / "ktx2" / "checker.png", tmp_path / "outside.png")
    (upload / "checker.png").symlink_to(tmp_path / "outside.png")
    assert read_fbx_asset(upload / "cube.fbx", LIMITS, BLENDER).textures() == []

"""FBX out through Blender (a subprocess of .venv-blender): what an engine importing the
file gets, as ufbx (a reader that is not Blender) reads it — the meshes with every
triangle, the textures embedded with the source's pixels, Y-up metres with the source's
bounds — and the same again through exchange's own FBX reader. A deployment without
Blender is told what is missing."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from exchange.asset import normalised, read_asset, summary, write_asset
from exchange.asset.fbx_out import write_fbx
from exchange.asset.model import Asset
from exchange.errors import AssetInvalid, AssetUnsupported
from health.validators import check_fbx

ASSETS = Path(__file__).resolve().parents[1] / "assets"
BLENDER = Path(__file__).resolve().parents[2] / ".venv-blender" / "bin" / "python"
SOURCES = ("Duck.glb", "BoxTextured.glb", "fuze.zip", "RoughnessTest.usdz")
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
needs_blender = pytest.mark.skipif(not BLENDER.is_file(), reason="no .venv-blender (make install)")


def _source(name: str) -> Asset:
    return normalised(read_asset(ASSETS / name))


def _assert_same_box(got: object, want: object, diagonal: float) -> None:
    assert got is not None and want is not None
    np.testing.assert_allclose(np.array(got), np.array(want), atol=1e-4 * diagonal)


def _embedded_pngs(fbx: bytes) -> list[bytes]:
    """Every PNG stored in the FBX's own bytes (Blender writes them raw in Video/Content)."""
    found, start = [], fbx.find(PNG_START)
    while start >= 0:
        end = fbx.index(PNG_END, start) + len(PNG_END)
        found.append(fbx[start:end])
        start = fbx.find(PNG_START, end)
    return found


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


@needs_blender
@pytest.mark.slow
@pytest.mark.parametrize("name", SOURCES)
def test_fbx_holds_the_meshes_and_embedded_textures(name: str, tmp_path: Path) -> None:
    asset = _source(name)
    want = summary(asset)
    out = tmp_path / "model.fbx"
    write_asset(asset, out, "fbx", blender_python=BLENDER)
    head = out.read_bytes()[:27]
    assert head.startswith(b"Kaydara FBX Binary  \x00")
    assert struct.unpack_from("<I", head, 23)[0] >= 7400

    verdict = check_fbx(out)
    assert verdict.ok, verdict
    assert not verdict.textures_missing and len(verdict.textures_embedded) >= 1
    assert verdict.triangles == want.triangles
    assert (verdict.up_axis, verdict.unit_meters) == ("+Y", 1.0)
    assert want.bounds is not None
    diagonal = float(np.linalg.norm(np.subtract(want.bounds[1], want.bounds[0])))
    _assert_same_box(verdict.bounds, want.bounds, diagonal)  # ufbx, world positions

    back = normalised(read_asset(out, blender_python=BLENDER), root_xform=False)
    got = summary(back)  # through Blender's importer
    assert got.triangles == want.triangles
    assert got.materials == want.materials
    _assert_same_box(got.bounds, want.bounds, diagonal)


@needs_blender
def test_an_embedded_texture_has_the_sources_pixels(tmp_path: Path) -> None:
    """BoxTextured's PNG is inside the FBX's own bytes, pixel for pixel."""
    asset = _source("BoxTextured.glb")
    (texture,) = asset.textures()
    out = tmp_path / "box.fbx"
    write_fbx(asset, out, BLENDER)
    images = _embedded_pngs(out.read_bytes())
    assert images, "no PNG inside the FBX"
    assert any(
        _pixels(i).shape == _pixels(texture.data).shape
        and np.array_equal(_pixels(i), _pixels(texture.data))
        for i in images
    )


@pytest.mark.parametrize("python", [None, Path("/nonexistent/bin/python")])
def test_without_blender_fbx_output_names_what_is_missing(
    python: Path | None, tmp_path: Path
) -> None:
    asset = _source("BoxTextured.glb")
    with pytest.raises(AssetUnsupported) as refused:
        write_asset(asset, tmp_path / "out.fbx", "fbx", blender_python=python)
    message = str(refused.value)
    assert "FBX output needs Blender" in message and "MESHFARM_BLENDER_PYTHON" in message
    assert "make install" in message
    assert not (tmp_path / "out.fbx").exists()


@needs_blender
def test_a_blender_that_runs_too_long_is_stopped_without_a_path(tmp_path: Path) -> None:
    with pytest.raises(AssetInvalid) as refused:
        write_fbx(_source("BoxTextured.glb"), tmp_path / "out.fbx", BLENDER, timeout_s=0.05)
    message = str(refused.value)
    assert "longer than" in message and "/" not in message
    assert not (tmp_path / "out.fbx").exists()

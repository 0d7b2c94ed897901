"""Zipped COLLADA (.zae): the manifest's document is read with its texture from inside the
archive only, and converts to the same duck as Duck.glb."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from exchange.asset import normalised, read_asset, summary, write_asset
from exchange.asset.dae_in import read_zae_asset
from exchange.errors import AssetInvalid
from exchange.limits import AssetLimits
from health.validators import validate_gltf

ASSETS = Path(__file__).resolve().parents[1] / "assets"
ZAE = ASSETS / "duck.zae"
LIMITS = AssetLimits()
DAE, PNG = "duck zae.dae", "duck zaeCM.png"


def _members() -> dict[str, bytes]:
    with zipfile.ZipFile(ZAE) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zae(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _manifest(root: str) -> bytes:
    return f'<?xml version="1.0"?><dae_root>{root}</dae_root>'.encode()


def test_zae_reads_as_the_duck() -> None:
    asset = read_zae_asset(ZAE, LIMITS)
    assert (asset.up_axis, asset.meters_per_unit) == ("Y", 0.01)
    written = summary(normalised(asset))
    duck = summary(normalised(read_asset(ASSETS / "Duck.glb")))
    assert (written.triangles, written.materials, written.textures) == (4212, 1, 1)
    assert written.bounds is not None and duck.bounds is not None
    assert np.allclose(written.bounds, duck.bounds, atol=1e-4)


def test_zae_output_is_a_valid_glb(tmp_path: Path) -> None:
    write_asset(normalised(read_zae_asset(ZAE, LIMITS)), tmp_path / "duck.glb", "glb")
    verdict = validate_gltf(tmp_path / "duck.glb")
    assert verdict.errors == 0, verdict.messages
    assert summary(read_asset(tmp_path / "duck.glb")).textures == 1


def test_textures_are_found_beside_the_document(tmp_path: Path) -> None:
    """The document in a folder of the archive; its texture path is relative to it."""
    m = _members()
    members = {"manifest.xml": _manifest("./models/duck.dae"), "models/duck.dae": m[DAE]}
    members["models/" + PNG] = m[PNG]
    assert len(read_zae_asset(_zae(tmp_path / "a.zae", members), LIMITS).textures()) == 1


def test_a_texture_outside_the_archive_is_refused(tmp_path: Path) -> None:
    """As for a .dae upload: a path that leads out is refused, never followed."""
    m = _members()
    dae = m[DAE].replace(b"./duck%20zaeCM.png", b"../duck%20zaeCM.png")
    (tmp_path / PNG).write_bytes(m[PNG])  # beside the archive on disk: out of bounds
    archive = _zae(tmp_path / "a.zae", {"manifest.xml": _manifest(DAE), DAE: dae})
    with pytest.raises(AssetInvalid, match="outside the upload"):
        read_zae_asset(archive, LIMITS)


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({DAE: b"<COLLADA/>"}, "no model"),
        ({"manifest.xml": b"<dae_root"}, "not XML"),
        ({"manifest.xml": b"<manifest/>"}, "no <dae_root>"),
        ({"manifest.xml": _manifest("missing.dae")}, "does not name a .dae"),
        ({"manifest.xml": _manifest("../duck.dae")}, "outside"),
        ({"manifest.xml": _manifest("/etc/duck.dae")}, "outside"),
        ({"sub/manifest.xml": _manifest(DAE), DAE: b""}, "top of the archive"),
        ({"manifest.xml": _manifest(DAE), DAE: b"<COLLADA><library_geometries>"}, "COLLADA"),
    ],
)
def test_a_broken_zae_is_refused(members: dict[str, bytes], words: str, tmp_path: Path) -> None:
    with pytest.raises(AssetInvalid, match=words):
        read_zae_asset(_zae(tmp_path / "a.zae", members), LIMITS)


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    members = {"manifest.xml": _manifest(DAE), DAE: b"<COLLADA>" + b" " * 10_000_000}
    small = AssetLimits(max_unzipped_bytes=1_000_000)
    with pytest.raises(AssetInvalid, match="expands"):
        read_zae_asset(_zae(tmp_path / "a.zae", members), small)

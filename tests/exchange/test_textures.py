"""Texture limits from image headers, for every image a texture uses, KTX 2 included."""

from __future__ import annotations

import struct
from pathlib import Path

import hostile_models as hm
import pytest

from exchange import AssetInvalid, AssetLimits, AssetTooLarge, check_textures, open_asset
from exchange.images import KTX2_MAGIC, ImageUnsupported

KTX2 = Path(__file__).resolve().parents[1] / "assets" / "ktx2" / "checker-uastc.ktx2"


def _check(tmp_path: Path, glb: bytes, limits: AssetLimits | None = None) -> None:
    path = tmp_path / "m.glb"
    path.write_bytes(glb)
    limits = limits or AssetLimits()
    with open_asset(path, limits) as container:
        check_textures(container, limits)


def _basisu_glb(image: bytes, source: int = 0) -> bytes:
    """The triangle with a KHR_texture_basisu texture of ``image`` (in the BIN chunk)."""
    doc = hm.triangle_doc(
        bufferViews=[
            {"buffer": 0, "byteLength": 36},
            {"buffer": 0, "byteOffset": 36, "byteLength": len(image)},
        ],
        images=[{"bufferView": 1, "mimeType": "image/ktx2"}],
        textures=[{"extensions": {"KHR_texture_basisu": {"source": source}}}],
        extensionsUsed=["KHR_texture_basisu"],
    )
    return hm.glb(doc, hm.TRIANGLE + image)


def test_a_ktx2_header_is_held_to_the_limits(tmp_path: Path) -> None:
    """KTX 2 images used to reach the transcoder unchecked at upload."""
    real = KTX2.read_bytes()
    _check(tmp_path, _basisu_glb(real))
    with pytest.raises(AssetTooLarge, match="16×16 pixels; a texture may be at most 8"):
        _check(tmp_path, _basisu_glb(real), AssetLimits(max_texture_side=8))
    claim = real[:20] + struct.pack("<II", 100_000, 100_000) + real[28:]
    with pytest.raises(AssetTooLarge, match="100000×100000"):
        _check(tmp_path, _basisu_glb(claim))


def test_each_source_must_be_its_kind(tmp_path: Path) -> None:
    with pytest.raises(ImageUnsupported, match="not a KTX 2 image"):
        _check(tmp_path, _basisu_glb(hm.png(4, 4)))
    with pytest.raises(ImageUnsupported, match="not a readable PNG, JPEG or WebP"):
        _check(tmp_path, hm.textured_glb(KTX2_MAGIC + b"\0" * 64))


def test_texture_sources_must_exist(tmp_path: Path) -> None:
    with pytest.raises(AssetInvalid, match=r"KHR_texture_basisu\.source 3 is out of range"):
        _check(tmp_path, _basisu_glb(hm.png(4, 4), source=3))


def test_every_images_entry_counts(tmp_path: Path) -> None:
    glb = hm.textured_glb(hm.png_header(64, 64), images=4)
    _check(tmp_path, glb, AssetLimits(max_model_texels=4 * 64 * 64))
    with pytest.raises(AssetTooLarge, match="more than 16,383 pixels"):
        _check(tmp_path, glb, AssetLimits(max_model_texels=4 * 64 * 64 - 1))
    with pytest.raises(AssetTooLarge, match="4 images; the limit is 3"):
        _check(tmp_path, glb, AssetLimits(max_images=3))

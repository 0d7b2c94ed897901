"""The report's PDF and thumbnail as a user opens them: the text pdftotext extracts, the
page pdftoppm rasterises, the thumbnail rendered by meshfarm's own renderer."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from exchange.asset import Asset, compare, normalised, read_asset, write_asset
from health.report import grade, repair, report_pdf, thumbnail_png
from health.report.pdf import THUMB_W, THUMB_X, THUMB_Y
from health.validators import validate_gltf
from testdata import ASSETS

DPI = 50


def duck() -> Asset:
    asset, _ = repair(normalised(read_asset(ASSETS / "Duck.glb")))
    return asset


def yellow(rgb: np.ndarray) -> np.ndarray:
    """The Duck's body: strong red and green, little blue."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (r > 180) & (g > 140) & (b < 90)


def test_the_thumbnail_shows_the_duck_centred():
    png = thumbnail_png(duck(), size=256)

    assert png is not None and png.startswith(b"\x89PNG")
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert image.shape == (256, 256, 3)
    body = yellow(image)
    assert body.mean() > 0.15  # the Duck fills a good part of the frame
    ys, xs = np.nonzero(body)
    assert abs(xs.mean() - 128) < 40 and abs(ys.mean() - 128) < 40
    assert image.mean() > 100  # not a black frame


def test_no_thumbnail_for_an_asset_the_renderer_refuses():
    assert thumbnail_png(Asset([], [], [], [])) is None


def test_the_pdf_has_the_score_the_checks_and_the_thumbnail(tmp_path):
    asset = duck()
    out = tmp_path / "duck.glb"
    write_asset(asset, out, "glb")
    report = grade(
        asset,
        fixes=["root_xform_applied"],
        verdicts=[validate_gltf(out)],
        round_trip=compare(asset, read_asset(out)),
        target="glb",
        source_format="glb",
    )
    pdf_path = tmp_path / "report.pdf"

    pdf_path.write_bytes(report_pdf(report, thumbnail_png(asset), "Duck.glb"))

    assert pdf_path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Duck.glb" in text
    assert f"{report.score}" in text and "health score" in text
    for c in report.checks:
        assert c.id in text
    assert "root_xform_applied" in text
    assert "web_threejs" in text and "apple_ar" in text
    assert "2106" in text  # the first LOD's triangles
    assert "Vertices: 2399" in text
    page = first_page(pdf_path, tmp_path)
    assert (page < 128).mean() > 0.01  # text and tables, not a blank page
    mm = DPI / 25.4
    x0, y0, side = round(THUMB_X * mm), round(THUMB_Y * mm), round(THUMB_W * mm)
    thumb = page[y0 : y0 + side, x0 : x0 + side]
    assert yellow(thumb).mean() > 0.1
    assert yellow(page).sum() < 1.5 * yellow(thumb).sum()  # the yellow is the thumbnail's


def test_a_pdf_without_a_thumbnail_is_still_a_report(tmp_path):
    report = grade(
        duck(), fixes=[], verdicts=[], round_trip=None, target="glb", source_format="glb"
    )
    pdf_path = tmp_path / "report.pdf"

    pdf_path.write_bytes(report_pdf(report, None, "naïve – model.glb"))

    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "naïve - model.glb" in text
    assert "output.round_trip" in text and "skip" in text
    assert not yellow(first_page(pdf_path, tmp_path)).any()


def first_page(pdf_path: Path, tmp: Path) -> np.ndarray:
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", str(pdf_path), str(tmp / "p")],
        check=True,
    )
    (png,) = sorted(tmp.glob("p*.png"))
    return np.asarray(Image.open(png).convert("RGB"))

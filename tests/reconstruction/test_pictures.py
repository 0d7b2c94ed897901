"""reconstruction.carve on drawn pictures: transparency honoured, the visual hull's
blind spot shown, and every refusal a user can meet, each with its message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_carve import welded

from reconstruction import ReconstructionFailed, carve

WHITE = (255, 255, 255)


def picture(
    path: Path,
    shapes: list[tuple[int, int, int, int]],
    size: tuple[int, int] = (256, 256),
    background: tuple[int, int, int] = WHITE,
    colour: tuple[int, int, int] = (200, 40, 40),
) -> Path:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for box in shapes:
        draw.rectangle(box, fill=colour)
    image.save(path)
    return path


def cylinder_views(folder: Path) -> list[Path]:
    """An upright cylinder, 2 wide, 3 tall: a rectangle from every level side."""
    return [picture(folder / f"{n}.png", [(88, 32, 167, 151)]) for n in ("f", "r", "b", "l")]


def test_a_cylinder_carves_its_square_prism(tmp_path: Path) -> None:
    carved = carve(cylinder_views(tmp_path), tmp_path / "cylinder.glb", resolution=48)
    mesh = welded(carved.path)
    lo, hi = mesh.bounds
    width, height = 0.3 * 80 / 120, 0.3
    assert hi - lo == pytest.approx([width, height, width], rel=0.03)
    # The blind spot: level views cannot tell a cylinder from a box; the hull is the box,
    # 4/π the cylinder's volume.
    assert mesh.volume == pytest.approx(width * width * height, rel=0.05)
    assert min(carved.silhouette_iou.values()) > 0.95  # corners rounded by smoothing


def test_transparency_is_the_cut_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    paths = []
    for n in ("f", "r", "b", "l"):
        rgba = np.zeros((200, 200, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 256, (200, 200, 3))  # no plain colour anywhere
        rgba[40:160, 70:130, 3] = 255
        paths.append(tmp_path / f"{n}.png")
        Image.fromarray(rgba).save(paths[-1])
    carved = carve(paths, tmp_path / "alpha.glb", resolution=32)
    lo, hi = welded(carved.path).bounds
    assert (hi - lo)[0] == pytest.approx(0.3 * 60 / 120, rel=0.05)


def test_fewer_than_two_pictures(tmp_path: Path) -> None:
    with pytest.raises(ReconstructionFailed, match="2 to 4 pictures"):
        carve(cylinder_views(tmp_path)[:1], tmp_path / "x.glb")


def test_a_picture_all_one_colour(tmp_path: Path) -> None:
    views = cylinder_views(tmp_path)
    views[1] = picture(tmp_path / "blank.png", [])
    with pytest.raises(ReconstructionFailed, match=r"blank\.png: no object found"):
        carve(views, tmp_path / "x.glb")


def test_no_plain_background(tmp_path: Path) -> None:
    views = cylinder_views(tmp_path)
    noise = np.random.default_rng(1).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    Image.fromarray(noise).save(views[2])
    with pytest.raises(ReconstructionFailed, match=r"b\.png: the background is not plain"):
        carve(views, tmp_path / "x.glb")


def test_an_object_cut_by_the_frame(tmp_path: Path) -> None:
    views = cylinder_views(tmp_path)
    picture(views[0], [(88, 32, 167, 255)])  # runs off the bottom edge
    with pytest.raises(ReconstructionFailed, match=r"f\.png: the object touches the edge"):
        carve(views, tmp_path / "x.glb")


def test_pictures_of_different_framing_and_aspect(tmp_path: Path) -> None:
    """A landscape picture, and one zoomed in and off-centre: each silhouette is scaled by
    its own height and centred on its own extent, so the prism comes out the same."""
    views = cylinder_views(tmp_path)
    picture(views[1], [(40, 32, 119, 151)], size=(400, 256))
    picture(views[3], [(20, 10, 179, 247)], size=(256, 256))
    mesh = welded(carve(views, tmp_path / "cylinder.glb", resolution=48).path)
    width, height = 0.3 * 80 / 120, 0.3
    assert mesh.bounds[1] - mesh.bounds[0] == pytest.approx([width, height, width], rel=0.03)


def test_views_of_different_objects(tmp_path: Path) -> None:
    """Two blocks with a gap from the front, one solid bar from the right: no object
    has both outlines, and the refusal says which view the shape fails."""
    front = picture(tmp_path / "f.png", [(88, 32, 167, 51), (88, 132, 167, 151)])
    right = picture(tmp_path / "r.png", [(88, 32, 167, 151)])
    with pytest.raises(ReconstructionFailed, match=r"does not match right \(0\.\d\d\)"):
        carve([front, right], tmp_path / "x.glb", resolution=32)


def framed_square(path: Path, hole: bool) -> Path:
    """A square, 136 px a side, with (``hole``) a 56 px square of the backdrop's white in
    its middle."""
    picture(path, [(60, 60, 195, 195)])
    if hole:
        image = Image.open(path)
        ImageDraw.Draw(image).rectangle((100, 100, 155, 155), fill=WHITE)
        image.save(path)
    return path


def test_a_hole_only_one_picture_shows_is_paint(tmp_path: Path) -> None:
    """White lettering on a white backdrop: the front sees a hole the back does not, so
    it is filled — the cube stays whole instead of being bored through."""
    views = [framed_square(tmp_path / f"{n}.png", hole=n == "f") for n in ("f", "r", "b", "l")]
    mesh = welded(carve(views, tmp_path / "cube.glb", resolution=48).path)
    assert mesh.volume == pytest.approx(0.3**3, rel=0.05)


def test_a_hole_both_opposite_pictures_show_goes_through(tmp_path: Path) -> None:
    """A square tube seen along its axis from front and back: the opening is real."""
    views = [framed_square(tmp_path / f"{n}.png", hole=n in "fb") for n in ("f", "r", "b", "l")]
    mesh = welded(carve(views, tmp_path / "tube.glb", resolution=48).path)
    side, opening = 0.3, 0.3 * 56 / 136
    assert mesh.volume == pytest.approx(side**3 - opening**2 * side, rel=0.08)
    # A ray along the axis through the middle passes clean through.
    assert not mesh.ray.intersects_any([[0.0, 0.15, 1.0]], [[0.0, 0.0, -1.0]])[0]

"""reconstruction.carve on pictures rendered from known models: the shape, its outline
from every view, its colour, its size, the figures it reports, and its volume against the
model's own on the views meshfarm's views job draws."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from conftest import ASSETS, foreground, render_views
from reconstruction import DEFAULT_HEIGHT_M, Carved, carve
from renderer import load_scene
from workers.views_job import render_views as meshfarm_views


def welded(path: Path) -> trimesh.Trimesh:
    """The GLB's mesh with the texture seams' duplicate vertices merged."""
    mesh = trimesh.load(path, force="mesh", process=False)
    mesh = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh


def framed(mask: np.ndarray, side: int = 256) -> np.ndarray:
    """``mask`` cropped to a square around its extent's middle, one height on a side, and
    scaled to ``side``: outlines compared whatever the framing (as carving assumes)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height = rows[-1] - rows[0] + 1
    cy, cx = (rows[0] + rows[-1] + 1) / 2, (cols[0] + cols[-1] + 1) / 2
    half = 0.6 * height
    box = (cx - half, cy - half, cx + half, cy + half)
    image = Image.fromarray(mask.astype(np.uint8) * 255).resize((side, side), box=box)
    return np.asarray(image) > 127


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def duck(views: Callable[[str], list[Path]], tmp_path_factory: pytest.TempPathFactory) -> Carved:
    return carve(views("Duck.glb"), tmp_path_factory.mktemp("carved") / "duck.glb")


def test_box_volume_and_size(views: Callable[[str], list[Path]], tmp_path: Path) -> None:
    carved = carve(views("BoxTextured.glb"), tmp_path / "box.glb")
    mesh = welded(carved.path)
    # The 1 m cube comes out DEFAULT_HEIGHT_M tall: its volume is that height cubed.
    assert mesh.volume == pytest.approx(DEFAULT_HEIGHT_M**3, rel=0.15)
    lo, hi = mesh.bounds
    assert hi - lo == pytest.approx([DEFAULT_HEIGHT_M] * 3, rel=0.03)
    assert lo[1] == pytest.approx(0.0, abs=1e-6)  # standing on the ground
    assert mesh.is_winding_consistent and mesh.volume > 0  # outward-facing


def test_duck_outline_matches_every_input_view(
    duck: Carved, views: Callable[[str], list[Path]]
) -> None:
    redrawn = render_views(duck.path, size=384)
    for name, picture in zip(duck.views, views("Duck.glb"), strict=True):
        given = framed(foreground(np.asarray(Image.open(picture))))
        result = framed(foreground(redrawn[name]))
        assert iou(given, result) > 0.9, name
        assert duck.silhouette_iou[name] > 0.9


def test_duck_is_yellow_like_the_pictures(duck: Carved, views: Callable[[str], list[Path]]) -> None:
    given = np.asarray(Image.open(views("Duck.glb")[0]))
    redrawn = render_views(duck.path, size=384)["front"]
    want = np.median(given[foreground(given)], axis=0)
    got = np.median(redrawn[foreground(redrawn)], axis=0)
    assert np.linalg.norm(got - want) < 40, (got, want)
    red, green, blue = got
    assert red > 150 and green > 130 and blue < 90  # yellow, not the backdrop's slate


def test_duck_report(duck: Carved) -> None:
    assert duck.views == ("front", "right", "back", "left")
    assert duck.height_m == DEFAULT_HEIGHT_M
    assert duck.size_m[1] == pytest.approx(DEFAULT_HEIGHT_M, rel=0.01)
    mesh = welded(duck.path)
    assert duck.triangles == len(mesh.faces) <= 20_000
    # The duck fills well under its bounding box; the voxels say so too.
    nx, ny, nz = duck.grid
    assert 0.2 * nx * ny * nz < duck.voxels < 0.7 * nx * ny * nz


def test_two_views_carve_front_and_right(
    views: Callable[[str], list[Path]], tmp_path: Path
) -> None:
    front, right = views("Duck.glb")[:2]
    carved = carve([front, right], tmp_path / "duck2.glb", resolution=64)
    assert carved.views == ("front", "right")
    redrawn = render_views(carved.path, size=256)
    for name, picture in (("front", front), ("right", right)):
        given = framed(foreground(np.asarray(Image.open(picture))))
        assert iou(given, framed(foreground(redrawn[name]))) > 0.9, name


def truth_and_hull_iou(model: Path, carved: Path, samples: int = 48) -> tuple[float, float]:
    """(volume IoU, share of the model inside the carving): the model put in carving's frame
    (its height DEFAULT_HEIGHT_M, standing on y = 0, its box centred on x = z = 0), both
    sampled on one grid (inside: trimesh's ray test)."""
    truth = trimesh.load(model, force="mesh")
    lo, hi = truth.bounds
    moved = truth.vertices - np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    truth = trimesh.Trimesh(moved * DEFAULT_HEIGHT_M / (hi - lo)[1], truth.faces)
    hull = welded(carved)
    lo = np.minimum(truth.bounds[0], hull.bounds[0])
    hi = np.maximum(truth.bounds[1], hull.bounds[1])
    axes = [np.linspace(lo[i], hi[i], samples) for i in range(3)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    inside_truth, inside_hull = truth.contains(points), hull.contains(points)
    both = (inside_truth & inside_hull).sum()
    return float(both / (inside_truth | inside_hull).sum()), float(both / inside_truth.sum())


@pytest.mark.parametrize(("model", "least_iou"), [("BoxTextured.glb", 0.95), ("Duck.glb", 0.78)])
def test_meshfarm_views_carve_the_model(model: str, least_iou: float, tmp_path: Path) -> None:
    """The views meshfarm's views job draws (front, right, back, left on white, a 15° lens)
    carve the model itself: the box whole (its white stripe is paint, not a tunnel), the
    duck as its visual hull — holding nearly all of it, fatter where no outline shows."""
    files = meshfarm_views(load_scene(ASSETS / model), tmp_path / "views")
    pictures = [files[name] for name in ("front", "right", "back", "left")]
    carved = carve(pictures, tmp_path / "carved.glb")
    volume_iou, held = truth_and_hull_iou(ASSETS / model, carved.path)
    assert volume_iou > least_iou
    assert held > 0.95
    assert min(carved.silhouette_iou.values()) > 0.95

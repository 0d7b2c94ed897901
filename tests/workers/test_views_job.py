"""A views job run as a worker runs it: the Duck drawn from six canonical directions and as a
thumbnail, seven PNGs uploaded under the attempt's prefix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import binary_fill_holes

from workers.config import Settings
from workers.jobs import Assignment, JobEvent, StoredInput
from workers.pipeline import run_job
from workers.specs import ViewsSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"
NAMES = {"front", "back", "left", "right", "top", "three_quarter", "thumbnail"}


DUCK_KEY = "models/views-duck/original.glb"
"""A key no other worker test stores another model under: the worker's scene cache keys
scenes by the (immutable, in production unique) model key."""


def _run(tmp_path: Path, key: str = DUCK_KEY) -> tuple[JobEvent, Path]:
    store = LocalStore(tmp_path / "store")
    store.put_file(DUCK_KEY, ASSETS / "Duck.glb")
    job = Assignment(
        job_id="j",
        attempt=1,
        lease_version=1,
        output_prefix="views/j/attempt-1",
        spec=ViewsSpec(model_id="m"),
        inputs={"model": StoredInput(key=key, format="glb")},
    )
    events: list[JobEvent] = []
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    run_job(job, store, settings, events.append)
    return events[-1], tmp_path / "store"


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> tuple[JobEvent, dict[str, np.ndarray]]:
    done, root = _run(tmp_path_factory.mktemp("views"))
    assert done.kind == "done", done.message
    images = {name: np.asarray(Image.open(root / asset.key)) for name, asset in done.assets.items()}
    return done, images


def _mask(pixels: np.ndarray) -> np.ndarray:
    """The model's silhouette: whatever is not the white background, holes (the white of
    an eye) filled."""
    return np.asarray(binary_fill_holes(np.any(pixels[..., :3] < 245, axis=-1)))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_seven_pngs_are_uploaded_under_the_attempt(
    duck: tuple[JobEvent, dict[str, np.ndarray]],
) -> None:
    done, images = duck
    assert set(done.assets) == NAMES
    assert all(a.key.startswith("views/j/attempt-1/") for a in done.assets.values())
    assert all(a.content_type == "image/png" for a in done.assets.values())
    assert done.file_size == done.assets["thumbnail"].size
    for name, pixels in images.items():
        side = 512 if name == "thumbnail" else 1024
        assert pixels.shape == (side, side, 3), name


def test_every_view_shows_the_model_centred_on_white(
    duck: tuple[JobEvent, dict[str, np.ndarray]],
) -> None:
    _, images = duck
    for name, pixels in images.items():
        mask = _mask(pixels)
        side = mask.shape[0]
        assert 0.15 < mask.mean() < 0.8, name  # the Duck fills a good part of the frame
        assert not mask[0].any() and not mask[-1].any(), name  # a margin: nothing cropped
        assert not mask[:, 0].any() and not mask[:, -1].any(), name
        ys, xs = np.nonzero(mask)
        centre = np.array([(ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2]) / side
        assert np.all(np.abs(centre - 0.5) < 0.06), (name, centre)
        assert (pixels[0, 0] == 255).all(), name


def test_opposite_views_are_mirror_silhouettes_and_the_top_differs(
    duck: tuple[JobEvent, dict[str, np.ndarray]],
) -> None:
    _, images = duck
    masks = {name: _mask(pixels) for name, pixels in images.items()}
    assert _iou(masks["front"], masks["back"][:, ::-1]) > 0.9
    assert _iou(masks["left"], masks["right"][:, ::-1]) > 0.9
    assert _iou(masks["front"], masks["back"]) < 0.85  # the Duck is not symmetric that way
    for name in ("front", "left"):
        assert _iou(masks["top"], masks[name]) < 0.8, name


def test_the_duck_is_upright_and_its_beak_points_where_it_should(
    duck: tuple[JobEvent, dict[str, np.ndarray]],
) -> None:
    """Duck.glb faces +X: from the front (+Z) the orange beak is on the right of the
    picture, from the back on the left, and it is in the upper half (the head) in both."""
    _, images = duck
    for name, right in (("front", True), ("back", False)):
        pixels = images[name].astype(int)
        beak = (pixels[..., 0] > 200) & (pixels[..., 1] < 160) & (pixels[..., 2] < 120)
        ys, xs = np.nonzero(beak)
        assert len(xs) > 500, name
        assert bool(xs.mean() > 512) == right, name
        assert ys.mean() < 512, name  # the head is on top: the model is the right way up


def test_the_thumbnail_is_the_three_quarter_view_smaller(
    duck: tuple[JobEvent, dict[str, np.ndarray]],
) -> None:
    _, images = duck
    big = Image.fromarray(images["three_quarter"]).resize((512, 512), Image.Resampling.BOX)
    difference = np.abs(np.asarray(big).astype(int) - images["thumbnail"].astype(int))
    assert difference.mean() < 3
    assert _iou(_mask(np.asarray(big)), _mask(images["thumbnail"])) > 0.97
    assert _iou(_mask(images["three_quarter"]), _mask(images["front"])) < 0.9


def test_a_missing_model_file_fails_the_job_without_a_path(tmp_path: Path) -> None:
    event, _ = _run(tmp_path, key="models/gone/original.glb")
    assert event.kind == "error"
    assert event.message and str(tmp_path) not in event.message

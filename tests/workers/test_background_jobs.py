"""A render job with a background overlay: the worker fetches the image and lays it under
the model — behind the frames of opaque tiers, under the web/thumb/posters of ``pro``."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from assignments import MODEL_KEY, assignment
from PIL import Image

from workers.config import Settings
from workers.jobs import JobEvent, StoredInput
from workers.pipeline import run_job
from workers.specs import RenderSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"
LEFT, RIGHT = (220, 30, 30), (30, 30, 220)


def _job(tmp_path: Path, tier: str, bg_key: str | None) -> list[JobEvent]:
    store = LocalStore(tmp_path / "store")
    store.put_file(MODEL_KEY, ASSETS / "BoxTextured.glb")
    image = np.zeros((900, 1600, 3), np.uint8)
    image[:, :800], image[:, 800:] = LEFT, RIGHT
    Image.fromarray(image).save(tmp_path / "bg.png")
    store.put_file("overlays/o/image.png", tmp_path / "bg.png")
    spec = RenderSpec(model_id="m", tier=tier, length=0.2, bg_image_id="o", bg_color="#00ff00")
    overlay = StoredInput(key=bg_key, format="png") if bg_key else None
    job = assignment("j", spec, bg_image=overlay)
    events: list[JobEvent] = []
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    run_job(job, store, settings, events.append)
    return events


def _first(path: Path, fmt: str) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format=fmt).astype(int)


def _sides_match(frame: np.ndarray) -> None:
    h, w = frame.shape[:2]
    assert np.abs(frame[h - 5, 5, :3] - LEFT).max() < 12
    assert np.abs(frame[5, w - 5, :3] - RIGHT).max() < 12


def test_pro_keeps_alpha_and_its_variants_show_the_image(tmp_path: Path) -> None:
    events = _job(tmp_path, "pro", "overlays/o/image.png")
    done = events[-1]
    assert done.kind == "done", done.message
    root = tmp_path / "store"
    video = _first(root / done.assets["video"].key, "rgba")
    assert video[5, 5, 3] == 0  # the ProRes file stays transparent
    _sides_match(_first(root / done.assets["web"].key, "rgb24"))
    _sides_match(_first(root / done.assets["thumb"].key, "rgb24"))
    poster_key = next(e.assets["poster_full"].key for e in events if "poster_full" in e.assets)
    _sides_match(np.asarray(Image.open(root / poster_key)).astype(int))


def test_share_draws_the_image_behind_the_model(tmp_path: Path) -> None:
    events = _job(tmp_path, "share", "overlays/o/image.png")
    done = events[-1]
    assert done.kind == "done", done.message
    _sides_match(_first(tmp_path / "store" / done.assets["video"].key, "rgb24"))


def test_a_deleted_overlay_is_a_clear_error(tmp_path: Path) -> None:
    events = _job(tmp_path, "share", None)
    assert [e.kind for e in events] == ["error"]
    assert "no longer exists" in (events[0].message or "")

"""A render lit by an uploaded environment: the worker fetches the .hdr, decodes it once,
lights the model with it and, with ``background: "environment"``, shows it behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from assignments import MODEL_KEY, assignment

from renderer.environment import encode_hdr, uniform_environment
from workers import environments
from workers.config import Settings
from workers.jobs import JobEvent, StoredInput
from workers.pipeline import run_job
from workers.specs import RenderSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SKY = (0.2, 0.4, 0.8)


def _srgb(linear: float) -> float:
    return 255 * (12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055)


def _job(
    tmp_path: Path, fields: dict[str, Any], env_key: str | None
) -> tuple[list[JobEvent], Path]:
    store = LocalStore(tmp_path / "store")
    store.put_file(MODEL_KEY, ASSETS / "BoxTextured.glb")
    (tmp_path / "sky.hdr").write_bytes(encode_hdr(uniform_environment(SKY)))
    store.put_file("overlays/e/image.hdr", tmp_path / "sky.hdr")
    spec = RenderSpec(model_id="m", length=0.2, environment="e", **fields)
    stored = StoredInput(key=env_key, format="hdr") if env_key else None
    job = assignment("j", spec, environment=stored)
    events: list[JobEvent] = []
    config = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    run_job(job, store, config, events.append)
    return events, tmp_path / "store"


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)


def test_the_uploaded_environment_is_seen_behind_the_model(tmp_path: Path) -> None:
    events, root = _job(
        tmp_path,
        {"background_environment": True, "tone_mapping": "none", "shadows": False},
        "overlays/e/image.hdr",
    )
    done = events[-1]
    assert done.kind == "done", done.message
    frame = _first_frame(root / done.assets["video"].key)
    expected = np.array([_srgb(c) for c in SKY])
    for y, x in ((5, 5), (5, 950), (530, 5), (530, 950)):  # the corners: only sky there
        assert np.abs(frame[y, x] - expected).max() <= 4, (frame[y, x], expected)


def test_the_environment_lights_the_model(tmp_path: Path) -> None:
    """BoxTextured's white faces under a blue sky, colour background: they turn blue."""
    events, root = _job(
        tmp_path, {"tone_mapping": "none", "key_light": False}, "overlays/e/image.hdr"
    )
    done = events[-1]
    assert done.kind == "done", done.message
    frame = _first_frame(root / done.assets["video"].key)
    assert tuple(frame[5, 5]) == (255, 255, 255)  # bgColor stays the background
    centre = frame[200:340, 400:560].reshape(-1, 3)
    lit = centre[np.abs(centre - 255).max(axis=1) > 8]  # model pixels
    assert len(lit) > 1000
    blue_over_red = lit[:, 2].mean() - lit[:, 0].mean()
    assert blue_over_red > 40, blue_over_red


def test_a_deleted_environment_is_a_clear_error(tmp_path: Path) -> None:
    environments._loaded.clear()
    events, _ = _job(tmp_path, {}, None)
    assert [e.kind for e in events] == ["error"]
    assert "no longer exists" in (events[0].message or "")


def test_a_broken_environment_fails_the_render_with_its_reason(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    (tmp_path / "bad.hdr").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +X 8\n\x00")
    store.put_file("overlays/b/image.hdr", tmp_path / "bad.hdr")
    events, _ = _job(tmp_path, {}, "overlays/b/image.hdr")
    assert [e.kind for e in events] == ["error"]
    assert "hdr" in (events[0].message or "").lower()

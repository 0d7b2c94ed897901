"""A worker keeps the last model it loaded: the next job of that model starts from it."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from assignments import assignment

from workers.config import Settings
from workers.jobs import JobEvent
from workers.pipeline import run_job
from workers.specs import RenderSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PREVIEW = RenderSpec(model_id="m", preview=True, length=3, bg_color="#203040")


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def test_second_job_of_a_model_reuses_it_and_renders_the_same(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_file("models/cache-duck/model.glb", ASSETS / "Duck.glb")
    store.put_file("models/cache-box/model.glb", ASSETS / "BoxTextured.glb")
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    events: list[JobEvent] = []

    for job_id, key in (
        ("a", "models/cache-duck/model.glb"),
        ("b", "models/cache-duck/model.glb"),
        ("c", "models/cache-box/model.glb"),
    ):
        run_job(assignment(job_id, PREVIEW, model_key=key), store, settings, events.append)

    done = {e.job_id: e for e in events if e.kind == "done"}
    assert set(done) == {"a", "b", "c"}, [e.message for e in events if e.kind == "error"]
    assert "download" in done["a"].timings
    assert "download" not in done["b"].timings  # same model: no download, no parse
    assert "download" in done["c"].timings  # another model is fetched as usual

    videos = {r: store.local_path(done[r].assets["video"].key) for r in done}
    assert all(v is not None for v in videos.values())
    a, b, c = (first_frame(videos[r]) for r in "abc")  # type: ignore[arg-type]
    assert np.array_equal(a, b)  # the cached scene renders exactly like a fresh load
    assert not np.array_equal(a, c)

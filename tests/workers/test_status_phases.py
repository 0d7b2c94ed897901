"""dx.gl's status flow is observable: ``poster-done`` (poster downloadable) lasts while the
frames are rendered and encoded; ``video-processing`` starts only once the last frame is
rendered. It used to be followed by ``video-processing`` at once, so no poll ever saw it."""

from __future__ import annotations

import time
from pathlib import Path

from workers.config import Settings
from workers.jobs import JobEvent, JobSpec
from workers.pipeline import run_job
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _spec(render_id: str, **settings: object) -> JobSpec:
    return JobSpec(
        job_id=f"job-{render_id}",
        render_id=render_id,
        kind="preview",
        attempt=1,
        lease_version=1,
        model_key="models/m/original.glb",
        model_format="glb",
        settings={"quality": "share", "length": 3, **settings},
        output_prefix=f"renders/{render_id}/attempt-1",
    )


def _run(tmp_path: Path, spec: JobSpec) -> list[tuple[float, JobEvent, bool]]:
    """(time, event, whether the poster it names is in the store already) per event."""
    store = LocalStore(tmp_path / "store")
    store.put_file("models/m/original.glb", ASSETS / "BoxTextured.glb")
    seen: list[tuple[float, JobEvent, bool]] = []

    def emit(event: JobEvent) -> None:
        stored = all(store.size(a.key) is not None for a in event.assets.values())
        seen.append((time.monotonic(), event, stored))

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    run_job(spec, store, settings, emit)
    return seen


def _phases(seen: list[tuple[float, JobEvent, bool]], render_id: str) -> dict[str, float]:
    events = [(t, e, stored) for t, e, stored in seen if e.render_id == render_id]
    names = [e.status or e.kind for _, e, _ in events]
    assert names == ["poster-processing", "poster-done", "video-processing", "done"], names
    poster = events[1]
    assert {"poster", "poster_full"} <= set(poster[1].assets) and poster[2]
    return {name: t for name, (t, _, _) in zip(names, events, strict=True)}


def test_poster_done_lasts_while_the_frames_are_rendered(tmp_path: Path) -> None:
    seen = _run(tmp_path, _spec("r1"))
    at = _phases(seen, "r1")
    frames = seen[-1][1].timings["render"]
    poster_done = at["video-processing"] - at["poster-done"]
    # 89 of the 90 frames are rendered between the two (the first one made the poster).
    assert poster_done > 0.4 * frames, (poster_done, frames)
    assert poster_done > at["done"] - at["video-processing"], at


def test_each_render_of_a_shared_batch_shows_poster_done(tmp_path: Path) -> None:
    spec = _spec("a", bgColor="#ff0000").model_copy(
        update={"variants": [_spec("b", bgColor="#0000ff")]}
    )
    seen = _run(tmp_path, spec)
    for render_id in ("a", "b"):
        at = _phases(seen, render_id)
        assert at["video-processing"] - at["poster-done"] > 0.3, (render_id, at)

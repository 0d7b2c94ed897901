"""dx.gl's status flow is observable: ``poster-done`` (poster downloadable) lasts while the
frames are rendered and encoded; ``video-processing`` starts only once the last frame is
rendered. It used to be followed by ``video-processing`` at once, so no poll ever saw it.
While ``poster-done`` lasts, the share of the frames drawn is reported, a few times and
rising to all of them."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from assignments import MODEL_KEY, assignment

from workers.config import Settings
from workers.jobs import Assignment, JobEvent
from workers.pipeline import run_job
from workers.specs import RenderSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _render(job_id: str, **fields: Any) -> Assignment:
    return assignment(job_id, RenderSpec(model_id="m", length=3, **fields))


def _run(tmp_path: Path, job: Assignment) -> list[tuple[float, JobEvent, bool]]:
    """(time, event, whether the poster it names is in the store already) per event."""
    store = LocalStore(tmp_path / "store")
    store.put_file(MODEL_KEY, ASSETS / "BoxTextured.glb")
    seen: list[tuple[float, JobEvent, bool]] = []

    def emit(event: JobEvent) -> None:
        stored = all(store.size(a.key) is not None for a in event.assets.values())
        seen.append((time.monotonic(), event, stored))

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    run_job(job, store, settings, emit)
    return seen


def _phases(seen: list[tuple[float, JobEvent, bool]], job_id: str) -> dict[str, float]:
    mine = [(t, e, stored) for t, e, stored in seen if e.job_id == job_id]
    events = [(t, e, stored) for t, e, stored in mine if e.fraction is None]
    drawn = [(t, e.fraction) for t, e, _ in mine if e.fraction is not None]
    fractions = [f for _, f in drawn]
    assert fractions == sorted(set(fractions)) and fractions[-1] == 1.0, fractions
    assert len(fractions) >= 5, fractions
    throttled = all(
        f - before >= 0.05 or t - then >= 0.45 or f == 1.0
        for (then, before), (t, f) in pairwise(drawn)
    )
    assert throttled, f"a report per 5 % or 0.5 s at most: {drawn}"
    assert all(e.phase is None for _, e, _ in mine if e.fraction is not None)
    names = [e.phase or e.kind for _, e, _ in events]
    assert names == ["poster-processing", "poster-done", "video-processing", "done"], names
    poster = events[1]
    assert {"poster", "poster_full"} <= set(poster[1].assets) and poster[2]
    return {name: t for name, (t, _, _) in zip(names, events, strict=True)}


def test_poster_done_lasts_while_the_frames_are_rendered(tmp_path: Path) -> None:
    seen = _run(tmp_path, _render("r1", preview=True))
    at = _phases(seen, "r1")
    frames = seen[-1][1].timings["render"]
    poster_done = at["video-processing"] - at["poster-done"]
    # 89 of the 90 frames are rendered between the two (the first one made the poster).
    assert poster_done > 0.4 * frames, (poster_done, frames)
    assert poster_done > at["done"] - at["video-processing"], at


def test_each_render_of_a_shared_batch_shows_poster_done(tmp_path: Path) -> None:
    job = _render("a", bg_color="#ff0000").model_copy(
        update={"variants": [_render("b", bg_color="#0000ff")]}
    )
    seen = _run(tmp_path, job)
    for job_id in ("a", "b"):
        at = _phases(seen, job_id)
        assert at["video-processing"] - at["poster-done"] > 0.3, (job_id, at)

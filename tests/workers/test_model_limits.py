"""The settings' model limits (``MESHFARM_MAX_TRIANGLES`` …) reach the worker's loader: a
model over a lowered limit is refused by its render and dataset jobs as at upload, and a
scene the worker cached under other limits is not reused."""

from __future__ import annotations

from pathlib import Path

import pytest
from assignments import assignment

from workers.config import Settings
from workers.jobs import JobEvent
from workers.pipeline import run_job
from workers.specs import DatasetSpec, RenderSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PREVIEW = RenderSpec(model_id="m", preview=True, length=1, bg_color="#203040")
KEY = "models/limits-duck/original.glb"
REFUSAL = "the model draws 4,212 triangles; the limit is 1,000"


def _run(job_id: str, spec: RenderSpec | DatasetSpec, store: LocalStore, data: Path) -> JobEvent:
    settings = Settings(data_dir=data, _env_file=None)
    events: list[JobEvent] = []
    run_job(assignment(job_id, spec, model_key=KEY), store, settings, events.append)
    return next(e for e in events if e.kind in ("done", "error"))


def test_a_lowered_triangle_limit_refuses_the_render_and_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_file(KEY, ASSETS / "Duck.glb")
    assert _run("before", PREVIEW, store, tmp_path / "data").kind == "done"  # now cached

    monkeypatch.setenv("MESHFARM_MAX_TRIANGLES", "1000")
    for job_id, spec in (("render", PREVIEW), ("dataset", DatasetSpec(model_id="m"))):
        outcome = _run(job_id, spec, store, tmp_path / "data")
        assert outcome.kind == "error", job_id
        assert outcome.message == REFUSAL, outcome.message

"""A model's thumbnail and six canonical views: one views job per model file, whoever
asks and however many at once (SQLite and PostgreSQL), cached on ``model_views``."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fake_pool import FakePool
from PIL import Image
from sqlalchemy import func, select

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job, JobTransition, Model, ModelView
from broker.dispatcher import KINDS, Dispatcher
from broker.errors import InvalidInput
from broker.ids import new_id
from broker.janitor import sweep
from broker.jobs import queue
from broker.services import model_views
from broker.services.format_cache import ConversionFailed, ConversionPending
from broker.services.view_jobs import VIEWS_HOOKS
from workers.jobs import Asset
from workers.local_executor import LocalExecutor
from workers.specs import KIND_RESOURCES

ASSETS = Path(__file__).resolve().parents[1] / "assets"
NAMES = (*model_views.VIEWS, model_views.THUMBNAIL)


def _model(ctx: AppContext, account_id: str, path: Path = ASSETS / "Duck.glb") -> Model:
    """A stored model as an upload leaves it (its file stored as uploaded)."""
    model_id = new_id()
    key = f"models/{model_id}/original.glb"
    size = ctx.store.put_file(key, path, "model/gltf-binary")
    with transaction(ctx.sessions) as session:
        model = Model(
            id=model_id,
            account_id=account_id,
            original_name=path.name,
            file_size=size,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            file_format="glb",
            storage_key=key,
            source_key=key,
            source_format="glb",
        )
        session.add(model)
        session.flush()
        session.expunge(model)
    return model


class FakeWorker(FakePool):
    """Plays the GPU pool: seven small PNGs whose pixels name the job."""

    kind, hooks, failure = "views", VIEWS_HOOKS, "The model has no meshes to draw"

    def outputs(
        self, lease: queue.Lease, prefix: str
    ) -> tuple[dict[str, Asset], dict[str, object]]:
        assets = {}
        for index, name in enumerate(NAMES):
            path = self.tmp / f"{lease.job_id}-{name}.png"
            Image.new("RGB", (8, 8), (index * 30, len(self.runs), 0)).save(path)
            key = f"{prefix}/{name}.png"
            size = self.ctx.store.put_file(key, path, "image/png")
            assets[name] = Asset(key=key, content_type="image/png", size=size)
        return assets, {"file_size": assets["thumbnail"].size}


@pytest.fixture
def worker(ctx: AppContext, tmp_path: Path) -> Iterator[FakeWorker]:
    with FakeWorker(ctx, tmp_path) as fake:
        yield fake


def _jobs(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "views"))
    return int(count or 0)


def _events(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(JobTransition)) or 0)


def test_the_views_kind_runs_on_the_gpu_pool() -> None:
    assert "views" in KINDS
    assert KIND_RESOURCES["views"] == "gpu"


def test_concurrent_callers_share_one_job_and_the_next_needs_none(
    ctx: AppContext, make_user, worker: FakeWorker
) -> None:  # type: ignore[no-untyped-def]
    model = _model(ctx, make_user().account_id)
    worker.delay = 0.5
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        files = list(
            pool.map(
                lambda view: model_views.view_file(ctx, model, view, 20),
                ["thumbnail", "front"],
            )
        )
    assert _jobs(ctx) == 1 and len(worker.runs) == 1
    thumbnail, front = files
    assert thumbnail.content_type == front.content_type == "image/png"
    assert thumbnail.key.endswith("/thumbnail.png") and front.key.endswith("/front.png")
    assert ctx.store.size(front.key) == front.size
    with ctx.sessions() as session:
        (row,) = session.scalars(select(ModelView)).all()
        assert set(row.assets) == set(NAMES)
        assert row.job_id == worker.runs[0]

    events = _events(ctx)
    started = time.monotonic()
    again = [model_views.view_file(ctx, model, view, 0) for view in NAMES]
    assert time.monotonic() - started < 2
    assert again[NAMES.index("thumbnail")] == thumbnail
    assert again[NAMES.index("front")] == front
    assert [f.key.rsplit("/", 1)[1] for f in again] == [f"{name}.png" for name in NAMES]
    assert _jobs(ctx) == 1 and _events(ctx) == events  # no job, no move


def test_many_racing_callers_make_one_job(ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    """The key's primary key decides (no worker: every caller returns pending)."""
    model = _model(ctx, make_user().account_id)
    barrier = threading.Barrier(8)

    def ask(_: int) -> str:
        barrier.wait()
        try:
            model_views.view_file(ctx, model, "top", 0)
        except ConversionPending as exc:
            return exc.conversion_id
        raise AssertionError("no worker runs: the views cannot be ready")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        job_ids = set(pool.map(ask, range(8)))
    assert _jobs(ctx) == 1
    with ctx.sessions() as session:
        (row,) = session.scalars(select(ModelView)).all()
        assert job_ids == {row.job_id}
        assert row.job.state == "queued" and row.job.credits == 0


def test_models_with_the_same_bytes_share_their_views(
    ctx: AppContext, make_user, worker: FakeWorker
) -> None:  # type: ignore[no-untyped-def]
    first = _model(ctx, make_user().account_id)
    second = _model(ctx, make_user().account_id)
    a = model_views.view_file(ctx, first, "left", 20)
    b = model_views.view_file(ctx, second, "left", 20)
    assert a == b and _jobs(ctx) == 1
    other = _model(ctx, make_user().account_id, ASSETS / "BoxTextured.glb")
    assert model_views.view_file(ctx, other, "left", 20).key != a.key
    assert _jobs(ctx) == 2


def test_a_failed_job_raises_its_reason_and_the_next_call_retries(
    ctx: AppContext, make_user, worker: FakeWorker
) -> None:  # type: ignore[no-untyped-def]
    model = _model(ctx, make_user().account_id)
    worker.failing = True
    with pytest.raises(ConversionFailed) as failed:
        model_views.view_file(ctx, model, "back", 20)
    assert failed.value.detail == "The model has no meshes to draw"
    assert _jobs(ctx) == 1
    worker.failing = False
    back = model_views.view_file(ctx, model, "back", 20)
    assert back.key.endswith("/back.png")
    assert _jobs(ctx) == 2 and len(worker.runs) == 2
    with ctx.sessions() as session:
        (row,) = session.scalars(select(ModelView)).all()
        assert row.job_id == worker.runs[1] and row.job.state == "succeeded"


def test_still_rendering_past_the_wait_is_pending(ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    model = _model(ctx, make_user().account_id)
    started = time.monotonic()
    with pytest.raises(ConversionPending) as pending:
        model_views.view_file(ctx, model, "thumbnail", 0.3)
    assert 0.3 <= time.monotonic() - started < 3
    assert pending.value.state == "queued"
    assert pending.value.retry_after == 5


def test_an_unknown_view_is_refused_before_any_job(ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    model = _model(ctx, make_user().account_id)
    with pytest.raises(InvalidInput):
        model_views.view_file(ctx, model, "bottom", 0)
    assert _jobs(ctx) == 0


def test_the_janitor_keeps_the_cached_views_and_removes_strays(
    ctx: AppContext, make_user, worker: FakeWorker, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    model = _model(ctx, make_user().account_id)
    front = model_views.view_file(ctx, model, "front", 20)
    stray_path = tmp_path / "stray.png"
    stray_path.write_bytes(b"x")
    stray = f"views/{worker.runs[0]}/attempt-9/front.png"
    ctx.store.put_file(stray, stray_path, "image/png")
    swept = sweep(ctx, grace_s=0, now=time.time() + 60)
    assert swept.objects.get("views") == [stray]
    assert ctx.store.size(front.key) == front.size


def _image(ctx: AppContext, key: str) -> Image.Image:
    image = Image.open(io.BytesIO(b"".join(ctx.store.iter_range(key))))
    image.load()
    return image


@pytest.mark.slow
def test_a_real_worker_renders_the_views(ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    """The dispatcher hands the job to a GPU-pool process that runs workers.views_job."""
    model = _model(ctx, make_user().account_id)
    dispatcher = Dispatcher(ctx, LocalExecutor(ctx.settings, 1, cpu_workers=0))
    dispatcher.start()
    try:
        thumbnail = model_views.view_file(ctx, model, "thumbnail", 180)
        left = model_views.view_file(ctx, model, "left", 0)
    finally:
        dispatcher.stop()
    small, big = _image(ctx, thumbnail.key), _image(ctx, left.key)
    assert small.size == (512, 512) and big.size == (1024, 1024)
    assert np.any(np.asarray(big) < 245, axis=-1).mean() > 0.15  # the Duck is there
    assert thumbnail.key.startswith("views/") and _jobs(ctx) == 1

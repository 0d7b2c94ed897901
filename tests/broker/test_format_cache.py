"""The conversion cache: one conversion per input, target, options and converter version,
whichever API asks (Refinery's /convert, dx.gl's GET /v1/models/:id/file?format=)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fake_pool import FakePool
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_refinery_support import BASE, fail, finish, new_key

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import (
    Conversion,
    ConvertedFile,
    Job,
    JobTransition,
    Model,
    WebhookDelivery,
)
from broker.dialects.refinery.views import webhook_body
from broker.jobs import queue
from broker.services import accounts, format_cache
from broker.services.convert_jobs import CONVERT_HOOKS
from broker.webhooks.outbox import enqueue
from exchange.formats import CONVERTER_VERSION
from workers.config import Settings
from workers.jobs import Asset

ASSETS = Path(__file__).resolve().parents[1] / "assets"
OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=db_url,
        inline_convert_seconds=30,
        webhook_allow_private=True,
        _env_file=None,
    )


class FakeWorker(FakePool):
    """Plays the CPU pool: the output bytes name the job, so two runs never make the same
    file; a failure's message names a server path (the dialects must scrub it)."""

    kind, hooks = "convert", CONVERT_HOOKS

    def __init__(self, ctx: AppContext, tmp: Path) -> None:
        super().__init__(ctx, tmp)
        self.failure = f"The converter cannot read {ctx.settings.data_dir}/tmp/x.glb"

    def outputs(
        self, lease: queue.Lease, prefix: str
    ) -> tuple[dict[str, Asset], dict[str, object]]:
        data = f"converted by run {len(self.runs)} of job {lease.job_id}".encode() * 50
        path = self.tmp / f"{lease.job_id}.out"
        path.write_bytes(data)
        key = f"{prefix}/model.out"
        self.ctx.store.put_file(key, path)
        asset = Asset(key=key, content_type="application/octet-stream", size=len(data))
        return {"asset": asset}, {"result": {"health_score": 90}}


@pytest.fixture
def worker(ctx: AppContext, tmp_path: Path) -> Iterator[FakeWorker]:
    with FakeWorker(ctx, tmp_path) as fake:
        yield fake


def _counts(ctx: AppContext) -> tuple[int, int]:
    """(conversion rows, convert jobs)."""
    with ctx.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(Conversion))
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "convert"))
    return int(rows or 0), int(jobs or 0)


def _model(client: TestClient, user, upload, name: str = "BoxTextured.glb") -> str:  # type: ignore[no-untyped-def]
    answer = upload(user, ASSETS / name)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["modelId"])


def _convert(client: TestClient, key: str, data: bytes = OBJ, name: str = "m.obj", **form):  # type: ignore[no-untyped-def]
    answer = client.post(
        f"{BASE}/convert",
        headers={"X-API-Key": key},
        files={"file": (name, data, "application/octet-stream")},
        data=form,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["job_id"])


def _asset_of_download(client: TestClient, key: str, job_id: str) -> bytes:
    answer = client.get(f"{BASE}/download/{job_id}", headers={"X-API-Key": key})
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
        (name,) = [n for n in bundle.namelist() if n.endswith(".usdz")]
        return bundle.read(name)


# --- the key -----------------------------------------------------------------------------


def test_the_key_is_the_input_target_options_and_converter_version():
    sha = hashlib.sha256(OBJ).hexdigest()
    default = format_cache.ConvertOptions()
    key = format_cache.cache_key(sha, "usdz", default)
    assert key == format_cache.cache_key(sha.upper(), "usdz", default)
    others = {
        format_cache.cache_key(sha, "usdc", default),
        format_cache.cache_key(sha, "usdz", format_cache.ConvertOptions(y_up=False)),
        format_cache.cache_key(sha, "usdz", format_cache.ConvertOptions(root_xform=False)),
        format_cache.cache_key(hashlib.sha256(b"other").hexdigest(), "usdz", default),
    }
    assert key not in others and len(others) == 4
    assert CONVERTER_VERSION  # part of the key: a new converter misses every old entry


# --- Refinery ----------------------------------------------------------------------------


def test_the_same_refinery_request_twice_runs_one_conversion(client, ctx, tmp_path):
    key = new_key(ctx)
    first = _convert(client, key)
    stored = finish(ctx, first, tmp_path)
    second = _convert(client, key, name="again.obj")
    assert second != first  # its own job for its client
    status = client.get(f"{BASE}/status/{second}", headers={"X-API-Key": key}).json()
    assert status["status"] == "completed" and status["health_score"] == 87
    assert _asset_of_download(client, key, second) == stored["asset"]
    assert _asset_of_download(client, key, first) == stored["asset"]
    with ctx.sessions() as session:
        rows = {c.id: c for c in session.scalars(select(Conversion))}
        assert rows[second].assets == rows[first].assets
        assert rows[second].job.attempts == 0  # no worker ever held it
        history = session.scalars(
            select(JobTransition).where(JobTransition.job_id == rows[second].job_id)
        ).all()
        assert [(h.to_state, h.by) for h in history] == [
            ("queued", f"account:{rows[second].account_id}"),
            ("running", "cache"),
            ("succeeded", "cache"),
        ]
        assert history[-1].message == format_cache.SERVED
        (entry,) = session.scalars(select(ConvertedFile)).all()
        assert entry.conversion_id == first
    # nothing is queued for a worker: the second needed none
    with transaction(ctx.sessions) as session:
        assert queue.claim(session, "test-worker", 60, ["convert"]) is None


def test_a_job_served_from_the_cache_gets_its_webhook(client, ctx, tmp_path):
    key = new_key(ctx)
    hook = "http://127.0.0.1:9/hook"
    finish(ctx, _convert(client, key), tmp_path)
    served = _convert(client, key, webhook_url=hook)
    with transaction(ctx.sessions) as session:
        assert enqueue(session, webhook_body) == 1
        (delivery,) = session.scalars(select(WebhookDelivery)).all()
    assert delivery.url == hook and json.loads(delivery.body)["job_id"] == served
    assert json.loads(delivery.body)["status"] == "completed"


def test_other_options_or_another_target_are_other_conversions(client, ctx, tmp_path):
    key = new_key(ctx)
    first = _convert(client, key)
    finish(ctx, first, tmp_path)
    flipped = _convert(client, key, y_up="false")
    other_target = _convert(client, key, export_format="usdc")
    headers = {"X-API-Key": key}
    for job_id in (flipped, other_target):
        assert client.get(f"{BASE}/status/{job_id}", headers=headers).json()["status"] == "pending"
    with ctx.sessions() as session:
        assert len(session.scalars(select(ConvertedFile)).all()) == 3
        assert len({c.cache_key for c in session.scalars(select(Conversion))}) == 3


def test_a_refinery_upload_while_the_same_one_runs_is_not_served_half_done(client, ctx):
    key = new_key(ctx)
    first = _convert(client, key)
    second = _convert(client, key)
    headers = {"X-API-Key": key}
    assert client.get(f"{BASE}/status/{second}", headers=headers).json()["status"] == "pending"
    with ctx.sessions() as session:
        (entry,) = session.scalars(select(ConvertedFile)).all()
        assert entry.conversion_id == first


def test_a_failed_conversion_is_not_served_and_the_next_request_converts_again(
    client, ctx, tmp_path
):
    key = new_key(ctx)
    first = _convert(client, key)
    fail(ctx, first, "The OBJ has no faces")
    second = _convert(client, key)
    headers = {"X-API-Key": key}
    assert client.get(f"{BASE}/status/{second}", headers=headers).json()["status"] == "pending"
    stored = finish(ctx, second, tmp_path)
    third = _convert(client, key)
    assert client.get(f"{BASE}/status/{third}", headers=headers).json()["status"] == "completed"
    assert _asset_of_download(client, key, third) == stored["asset"]
    with ctx.sessions() as session:
        (entry,) = session.scalars(select(ConvertedFile)).all()
        assert entry.conversion_id == second


# --- dx.gl ?format= ----------------------------------------------------------------------


def test_format_converts_once_and_serves_the_same_bytes_again(client, ctx, user, upload, worker):
    model_id = _model(client, user, upload)
    url = f"/v1/models/{model_id}/file?format=stl"
    first = client.get(url, headers=user.headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "model/stl"
    assert first.headers["content-disposition"] == 'attachment; filename="BoxTextured.stl"'
    second = client.get(url, headers=user.headers)
    assert second.status_code == 200 and second.content == first.content
    assert first.content.startswith(b"converted by run 1")
    assert len(worker.runs) == 1 and _counts(ctx) == (1, 1)
    ranged = client.get(url, headers={**user.headers, "Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == first.content[10:20]
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(first.content)}"
    obj = client.get(f"/v1/models/{model_id}/file?format=OBJ", headers=user.headers)
    assert obj.status_code == 200 and obj.headers["content-type"] == "application/zip"
    assert obj.headers["content-disposition"] == 'attachment; filename="BoxTextured.zip"'
    assert len(worker.runs) == 2 and _counts(ctx) == (2, 2)


def test_a_download_conversion_is_not_among_the_owners_refinery_jobs(
    client, ctx, user, upload, worker
):
    """The cache's conversion of a stored model has no key: the owner's Refinery key lists
    and finds only what it uploaded."""
    model_id = _model(client, user, upload)
    assert client.get(f"/v1/models/{model_id}/file?format=stl", headers=user.headers).is_success
    key = new_key(ctx, email=user.email)  # the same account
    listed = client.get(f"{BASE}/jobs", headers={"X-API-Key": key}).json()
    assert listed["total"] == 0 and listed["jobs"] == []
    with ctx.sessions() as session:
        cached = session.scalars(select(Conversion.id)).one()
    assert client.get(f"{BASE}/status/{cached}", headers={"X-API-Key": key}).status_code == 404


def test_without_format_or_as_stored_the_file_is_unchanged(client, ctx, user, upload):
    model_id = _model(client, user, upload)
    original = (ASSETS / "BoxTextured.glb").read_bytes()
    for query in ("", "?format=", "?format=glb"):
        answer = client.get(f"/v1/models/{model_id}/file{query}", headers=user.headers)
        assert answer.status_code == 200 and answer.content == original
        assert answer.headers["content-type"] == "model/gltf-binary"
    assert _counts(ctx) == (0, 0)


def test_an_unknown_format_is_invalid_format(client, ctx, user, upload):
    model_id = _model(client, user, upload)
    answer = client.get(f"/v1/models/{model_id}/file?format=blend", headers=user.headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_format" and "stl" in error["message"]
    assert _counts(ctx) == (0, 0)


def test_past_the_inline_bound_is_202_with_retry_after_and_still_one_conversion(
    client, ctx, user, upload
):
    ctx.settings.inline_convert_seconds = 0.3
    model_id = _model(client, user, upload)
    url = f"/v1/models/{model_id}/file?format=usdz"
    for _ in range(2):
        answer = client.get(url, headers=user.headers)
        assert answer.status_code == 202
        assert answer.headers["retry-after"] == str(format_cache.RETRY_AFTER_SECONDS)
        assert answer.json() == {
            "data": {"modelId": model_id, "format": "usdz", "status": "queued"}
        }
    assert _counts(ctx) == (1, 1)


def test_a_failed_conversion_is_422_and_the_next_request_retries_it(
    client, ctx, user, upload, worker
):
    model_id = _model(client, user, upload)
    url = f"/v1/models/{model_id}/file?format=usdc"
    worker.failing = True
    failed = client.get(url, headers=user.headers)
    assert failed.status_code == 422
    error = failed.json()["error"]
    assert error["code"] == "conversion_failed" and error["status"] == 422
    assert "cannot read" in error["message"]
    assert str(ctx.settings.data_dir) not in error["message"]
    worker.failing = False
    retried = client.get(url, headers=user.headers)
    assert retried.status_code == 200 and retried.content.startswith(b"converted by run 2")
    assert _counts(ctx) == (2, 2)
    again = client.get(url, headers=user.headers)
    assert again.content == retried.content and _counts(ctx) == (2, 2)


def test_force_converts_a_finished_key_again(client, ctx, user, upload, worker):
    model_id = _model(client, user, upload)
    assert client.get(f"/v1/models/{model_id}/file?format=stl", headers=user.headers).is_success
    with ctx.sessions() as session:
        (entry,) = session.scalars(select(ConvertedFile)).all()
        model = session.get(Model, model_id)
        assert model is not None
        session.expunge(model)
    source = format_cache.model_source(ctx.store, model)
    same = format_cache.obtain(ctx, model.account_id, source, "stl")
    assert same.id == entry.conversion_id
    forced = format_cache.obtain(ctx, model.account_id, source, "stl", force=True)
    assert forced.id != entry.conversion_id
    ready = format_cache.wait_ready(ctx, forced.id, 10)
    assert ready.job.state == "succeeded" and len(worker.runs) == 2
    assert format_cache.obtain(ctx, model.account_id, source, "stl").id == forced.id


def test_racing_retries_of_a_failed_key_make_one_new_conversion(client, ctx, user, upload):
    model_id = _model(client, user, upload)
    with ctx.sessions() as session:
        model = session.get(Model, model_id)
        assert model is not None
        session.expunge(model)
    source = format_cache.model_source(ctx.store, model)
    first = format_cache.obtain(ctx, model.account_id, source, "usdz")
    fail(ctx, first.id, "no faces")

    def retry(_: int) -> str:
        return format_cache.obtain(ctx, model.account_id, source, "usdz").id

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        ids = set(pool.map(retry, range(10)))
    (retried,) = ids
    assert retried != first.id and _counts(ctx) == (2, 2)
    with ctx.sessions() as session:
        (entry,) = session.scalars(select(ConvertedFile)).all()
        assert entry.conversion_id == retried


def test_a_refinery_conversion_is_the_file_dxgl_serves(client, ctx, user, upload, tmp_path):
    """The same bytes, target and options from two APIs: one conversion, one file."""
    model_id = _model(client, user, upload)
    key = new_key(ctx)
    glb = (ASSETS / "BoxTextured.glb").read_bytes()
    job_id = _convert(client, key, data=glb, name="box.glb")
    stored = finish(ctx, job_id, tmp_path)
    answer = client.get(f"/v1/models/{model_id}/file?format=usdz", headers=user.headers)
    assert answer.status_code == 200 and answer.content == stored["asset"]
    assert answer.headers["content-type"] == "model/vnd.usdz+zip"
    assert _counts(ctx) == (1, 1)


def test_twenty_concurrent_format_requests_make_one_conversion(
    live_server, ctx, user, upload, client, worker
):
    model_id = _model(client, user, upload)
    worker.delay = 0.5  # every request is in before the one conversion ends
    url = f"{live_server}/v1/models/{model_id}/file?format=stl"

    def get(_: int) -> tuple[int, bytes]:
        answer = httpx.get(url, headers=user.headers, timeout=60)
        return answer.status_code, answer.content

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(get, range(20)))
    assert {code for code, _ in answers} == {200}, [a[1][:200] for a in answers if a[0] != 200]
    assert len({body for _, body in answers}) == 1
    assert len(worker.runs) == 1 and _counts(ctx) == (1, 1)
    with ctx.sessions() as session:
        assert len(session.scalars(select(ConvertedFile)).all()) == 1


# --- a real farm: the dispatcher and a CPU worker process ----------------------------------


@pytest.fixture
def farm_ctx(tmp_path: Path) -> Iterator[AppContext]:
    with farm_context(tmp_path, inline_convert_seconds=300) as ctx:
        yield ctx


@pytest.fixture
def farm(farm_ctx: AppContext) -> Iterator[TestClient]:
    # no render worker: the uploads' renders stay queued; conversions run on one CPU worker
    with farm_client(farm_ctx, render_workers=0) as client:
        yield client


def _worker_runs(ctx: AppContext) -> int:
    """Convert jobs a worker started (a cache-served job never has an attempt)."""
    with ctx.sessions() as session:
        attempts = session.scalars(select(Job.attempts).where(Job.kind == "convert")).all()
    return sum(1 for n in attempts if n > 0)


def test_on_a_real_farm_each_file_is_converted_once_for_both_apis(farm, farm_ctx):
    """~10 s: two real conversions (a box to STL and USDZ), then each served again."""
    with transaction(farm_ctx.sessions) as session:
        account = accounts.create_account(session, "cache@example.com", initial_credits=100)
        headers = {"Authorization": f"Bearer {accounts.issue_token(session, account).token}"}
    glb = (ASSETS / "BoxTextured.glb").read_bytes()
    made = farm.post("/v1/models", headers=headers, files={"file": ("box.glb", glb)})
    assert made.status_code == 201, made.text
    url = f"/v1/models/{made.json()['data']['modelId']}/file?format="
    stl = farm.get(url + "stl", headers=headers)
    assert stl.status_code == 200, stl.text
    assert stl.headers["content-type"] == "model/stl" and len(stl.content) > 84
    assert farm.get(url + "stl", headers=headers).content == stl.content
    usdz = farm.get(url + "usdz", headers=headers)
    assert usdz.status_code == 200 and usdz.content[:2] == b"PK"
    assert _worker_runs(farm_ctx) == 2
    key = new_key(farm_ctx)
    job_id = _convert(farm, key, data=glb, name="crate.glb")  # the same bytes, via Refinery
    status = farm.get(f"{BASE}/status/{job_id}", headers={"X-API-Key": key}).json()
    assert status["status"] == "completed"
    answer = farm.get(f"{BASE}/download/{job_id}", headers={"X-API-Key": key})
    with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
        assert bundle.read("crate.usdz") == usdz.content
    assert _worker_runs(farm_ctx) == 2 and _counts(farm_ctx) == (3, 3)

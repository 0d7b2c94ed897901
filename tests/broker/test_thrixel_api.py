"""Thrixel's download API over meshfarm's models: who reaches a submission, the download
formats, the convert jobs (409 while unfinished, 410 failed, one job per submission and
format unless ``force``), errors in ``{"detail"}``. The convert jobs are finished by a fake
CPU worker (synthetic outputs); tests/broker/test_thrixel_farm.py runs real conversions."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_format_cache import FakeWorker
from test_refinery_support import BASE as REFINERY
from test_refinery_support import new_key

from broker.context import AppContext
from broker.db.models import Conversion, Job
from broker.services import format_cache
from workers.config import Settings

ASSETS = Path(__file__).resolve().parents[1] / "assets"
API = "/thrixel/api/v1"


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", database_url=db_url, inline_convert_seconds=30, _env_file=None
    )


@pytest.fixture
def worker(ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    with FakeWorker(ctx, tmp_path) as fake:
        yield fake


def _model(user, upload, name: str = "BoxTextured.glb") -> str:  # type: ignore[no-untyped-def]
    answer = upload(user, ASSETS / name)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["modelId"])


def _publish(client: TestClient, user, model_id: str, public: bool = True) -> dict:  # type: ignore[no-untyped-def]
    answer = client.patch(f"/v1/models/{model_id}", headers=user.headers, json={"public": public})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def _counts(ctx: AppContext) -> tuple[int, int]:
    with ctx.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(Conversion))
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "convert"))
    return int(rows or 0), int(jobs or 0)


def _convert(client: TestClient, model_id: str, fmt: str = "usdz", headers=None, **extra):  # type: ignore[no-untyped-def]
    body = {"submission_id": model_id, "format": fmt, **extra}
    answer = client.post(f"{API}/convert", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- who reaches a submission -------------------------------------------------------------


def test_a_private_model_is_404_and_its_owners_token_reaches_it(client, user, make_user, upload):
    model_id = _model(user, upload)
    url = f"{API}/{model_id}/download?format=glb"
    assert client.get(url).status_code == 404
    assert client.get(url).json() == {"detail": "Submission not found"}
    assert client.get(url, headers=make_user().headers).status_code == 404  # not its owner
    owner = client.get(url, headers=user.headers)
    assert owner.status_code == 200
    assert owner.content == (ASSETS / "BoxTextured.glb").read_bytes()
    bad = client.get(url, headers={"Authorization": "Bearer dxgl_sk_nonsense"})
    assert bad.status_code == 401 and set(bad.json()) == {"detail"}


def test_patch_public_publishes_and_unpublishes_and_the_model_json_shows_it(client, user, upload):
    model_id = _model(user, upload)
    shown = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]
    assert shown["public"] is False
    assert _publish(client, user, model_id)["public"] is True
    url = f"{API}/{model_id}/download"
    assert client.get(url).status_code == 200
    assert _publish(client, user, model_id, False)["public"] is False
    assert client.get(url).status_code == 404
    for wrong in (None, "yes", 1):
        answer = client.patch(
            f"/v1/models/{model_id}", headers=user.headers, json={"public": wrong}
        )
        assert answer.status_code == 400, answer.text


def test_a_deleted_public_model_is_404(client, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    assert client.delete(f"/v1/models/{model_id}", headers=user.headers).status_code == 200
    assert client.get(f"{API}/{model_id}/download").status_code == 404


# --- GET /download ---------------------------------------------------------------------------


def test_glb_is_the_stored_file_with_its_name_and_ranges(client, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    stored = (ASSETS / "BoxTextured.glb").read_bytes()
    answer = client.get(f"{API}/{model_id}/download", follow_redirects=True)  # curl -L, no format
    assert answer.status_code == 200 and answer.content == stored
    assert answer.headers["content-type"] == "model/gltf-binary"
    assert answer.headers["content-disposition"] == 'attachment; filename="BoxTextured.glb"'
    part = client.get(f"{API}/{model_id}/download?format=glb", headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == stored[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(stored)}"
    tail = client.get(f"{API}/{model_id}/download", headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == stored[-4:]
    past = client.get(f"{API}/{model_id}/download", headers={"Range": f"bytes={len(stored)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(stored)}"
    head = client.head(f"{API}/{model_id}/download")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(stored))


def test_py_is_the_documented_no_script_error(client, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?format=py")
    assert answer.status_code == 404
    assert "no generating script" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("format=gltf", "format must be one of"),
        ("format=reference_image&index=6", "index must be 0 to 5"),
        ("format=reference_image&index=-1", "index must be 0 to 5"),
        ("format=reference_image&index=two", "index"),
    ],
)
def test_a_bad_format_or_index_is_400_in_the_detail_envelope(client, user, upload, query, words):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?{query}")
    assert answer.status_code == 400, answer.text
    assert list(answer.json()) == ["detail"] and words in answer.json()["detail"]


def test_index_counts_only_for_reference_images(client, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?format=glb&index=9")
    assert answer.status_code == 200 and answer.content[:4] == b"glTF"


def test_a_converted_format_is_made_once_and_served_from_the_cache(
    client, ctx, user, upload, worker
):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    first = client.get(f"{API}/{model_id}/download?format=stl")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "model/stl"
    assert first.headers["content-disposition"] == 'attachment; filename="BoxTextured.stl"'
    again = client.get(f"{API}/{model_id}/download?format=stl")
    assert again.content == first.content and len(worker.runs) == 1
    obj = client.get(f"{API}/{model_id}/download?format=obj")
    assert obj.headers["content-type"] == "application/zip"
    assert obj.headers["content-disposition"] == 'attachment; filename="BoxTextured.zip"'
    assert _counts(ctx) == (2, 2)


def test_past_the_inline_bound_is_202_with_the_job_to_poll(client, ctx, user, upload):
    ctx.settings.inline_convert_seconds = 0.3
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?format=fbx")
    assert answer.status_code == 202, answer.text
    assert answer.headers["retry-after"] == str(format_cache.RETRY_AFTER_SECONDS)
    body = answer.json()
    assert body["submission_id"] == model_id and body["format"] == "fbx"
    assert body["status"] == "queued" and body["download_url"] is None
    assert body["status_url"] == f"http://testserver{API}/convert/{body['job_id']}"
    assert _convert(client, model_id, "fbx")["job_id"] == body["job_id"]
    assert _counts(ctx) == (1, 1)


def test_a_failed_inline_conversion_is_422_without_server_paths(client, ctx, user, upload, worker):
    worker.failing = True
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?format=usdz")
    assert answer.status_code == 422
    assert "failed" in answer.json()["detail"]
    assert str(ctx.settings.data_dir) not in answer.text


# --- the convert jobs ------------------------------------------------------------------------


def test_convert_poll_download_409_while_unfinished(client, ctx, user, upload, tmp_path):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    job = _convert(client, model_id, "usdz")
    assert job == {
        "job_id": job["job_id"],
        "submission_id": model_id,
        "format": "usdz",
        "status": "queued",
        "error": None,
        "download_url": None,
        "status_url": f"http://testserver{API}/convert/{job['job_id']}",
    }
    download = f"{API}/convert/{job['job_id']}/download"
    assert client.get(download).status_code == 409
    assert set(client.get(download).json()) == {"detail"}
    with FakeWorker(ctx, tmp_path) as fake:
        fake.delay = 1.0
        deadline = 200
        while client.get(job["status_url"]).json()["status"] == "queued" and deadline:
            deadline -= 1
            __import__("time").sleep(0.02)
        running = client.get(job["status_url"]).json()
        assert running["status"] == "running"
        assert client.get(download).status_code == 409
        format_cache.wait_ready(ctx, job["job_id"], 20)
    ready = client.get(job["status_url"]).json()
    assert ready["status"] == "ready"
    assert ready["download_url"] == f"http://testserver{download}"
    answer = client.get(ready["download_url"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "model/vnd.usdz+zip"
    assert answer.headers["content-disposition"] == 'attachment; filename="BoxTextured.usdz"'
    inline = client.get(f"{API}/{model_id}/download?format=usdz")
    assert inline.content == answer.content  # the same conversion


def test_the_same_submission_and_format_is_the_same_job_unless_forced(
    client, ctx, user, upload, worker
):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    first = _convert(client, model_id, "obj")
    format_cache.wait_ready(ctx, first["job_id"], 20)
    again = _convert(client, model_id, "obj")
    assert again["job_id"] == first["job_id"] and again["status"] == "ready"
    anonymous = _convert(client, model_id, "obj", force=True)  # only the owner may force
    assert anonymous["job_id"] == first["job_id"]
    forced = _convert(client, model_id, "obj", headers=user.headers, force=True)
    assert forced["job_id"] != first["job_id"]
    assert _convert(client, model_id, "stl")["job_id"] not in {first["job_id"], forced["job_id"]}
    assert _counts(ctx) == (3, 3)


def test_a_failed_job_is_410_and_says_why_without_paths(client, ctx, user, upload, worker):
    worker.failing = True
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    job = _convert(client, model_id, "stl")
    with pytest.raises(format_cache.ConversionFailed):
        format_cache.wait_ready(ctx, job["job_id"], 20)
    status = client.get(job["status_url"]).json()
    assert status["status"] == "failed" and status["download_url"] is None
    assert status["error"] and str(ctx.settings.data_dir) not in status["error"]
    gone = client.get(f"{API}/convert/{job['job_id']}/download")
    assert gone.status_code == 410 and set(gone.json()) == {"detail"}
    assert str(ctx.settings.data_dir) not in gone.text


def test_jobs_of_unreachable_models_and_refinery_jobs_are_404(client, ctx, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    job = _convert(client, model_id, "stl")
    _publish(client, user, model_id, False)
    assert client.get(job["status_url"]).status_code == 404
    assert client.get(f"{job['status_url']}/download").status_code == 404
    assert client.get(job["status_url"], headers=user.headers).status_code == 200
    key = new_key(ctx)
    made = client.post(
        f"{REFINERY}/convert",
        headers={"X-API-Key": key},
        files={"file": ("m.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")},
    )
    assert client.get(f"{API}/convert/{made.json()['job_id']}").status_code == 404
    assert client.get(f"{API}/convert/no-such-job").status_code == 404
    private = _convert_status(client, user, model_id)
    assert private == 404


def _convert_status(client: TestClient, user, model_id: str) -> int:  # type: ignore[no-untyped-def]
    """POST /convert of a private model: 404 without its owner's token, 200 with it."""
    body = {"submission_id": model_id, "format": "usdz"}
    assert client.post(f"{API}/convert", json=body, headers=user.headers).status_code == 200
    return client.post(f"{API}/convert", json=body).status_code


def test_the_same_file_of_two_accounts_is_one_job_each_reaches(client, ctx, make_user, upload):
    alice, bob = make_user(), make_user()
    a, b = _model(alice, upload), _model(bob, upload)
    _publish(client, bob, b)
    job = _convert(client, b, "stl")  # bob's conversion is the key's
    mine = client.post(
        f"{API}/convert", json={"submission_id": a, "format": "stl"}, headers=alice.headers
    ).json()
    assert mine["job_id"] == job["job_id"] and mine["submission_id"] == a
    assert client.get(job["status_url"], headers=alice.headers).status_code == 200
    assert _counts(ctx) == (1, 1)


def test_a_convert_body_is_validated_in_the_detail_envelope(client, user, upload):
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    for body in ({"submission_id": model_id, "format": "glb"}, {"format": "stl"}, {}):
        answer = client.post(f"{API}/convert", json=body)
        assert answer.status_code == 400 and list(answer.json()) == ["detail"], answer.text
    missing = client.post(f"{API}/convert", json={"submission_id": "nope", "format": "stl"})
    assert missing.status_code == 404


# --- concurrency -----------------------------------------------------------------------------


def test_twenty_concurrent_inline_requests_run_one_conversion(
    live_server, ctx, user, upload, worker
):
    model_id = _model(user, upload)
    worker.delay = 0.5  # every request is in before the one conversion ends
    url = f"{live_server}{API}/{model_id}/download?format=stl"

    def get(_: int) -> tuple[int, bytes]:
        answer = httpx.get(url, headers=user.headers, timeout=60)
        return answer.status_code, answer.content

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(get, range(20)))
    assert {code for code, _ in answers} == {200}, [a[1][:200] for a in answers if a[0] != 200]
    assert len({body for _, body in answers}) == 1
    assert len(worker.runs) == 1 and _counts(ctx) == (1, 1)


def test_a_model_stored_as_gltf_is_converted_to_glb_and_its_job_is_reachable(
    client, ctx, user, upload
):
    ctx.settings.inline_convert_seconds = 0.3
    model_id = _model(user, upload, "BoxTextured-embedded.gltf")
    _publish(client, user, model_id)
    pending = client.get(f"{API}/{model_id}/download?format=glb")
    assert pending.status_code == 202 and pending.json()["format"] == "glb"
    assert client.get(pending.json()["status_url"]).status_code == 200
    with FakeWorker(ctx, ctx.settings.data_dir.parent) as fake:
        ctx.settings.inline_convert_seconds = 20
        answer = client.get(f"{API}/{model_id}/download?format=glb")
    assert answer.status_code == 200 and answer.headers["content-type"] == "model/gltf-binary"
    assert (
        answer.headers["content-disposition"] == 'attachment; filename="BoxTextured-embedded.glb"'
    )
    assert len(fake.runs) == 1


@pytest.mark.parametrize("query", ["format=thumbnail", "format=reference_image&index=5"])
def test_pictures_past_the_inline_bound_are_202_with_retry_after(client, ctx, user, upload, query):
    ctx.settings.inline_convert_seconds = 0.3  # no render worker: the views job stays queued
    model_id = _model(user, upload)
    _publish(client, user, model_id)
    answer = client.get(f"{API}/{model_id}/download?{query}")
    assert answer.status_code == 202, answer.text
    assert answer.headers["retry-after"] == str(format_cache.RETRY_AFTER_SECONDS)
    assert list(answer.json()) == ["detail"] and "rendered" in answer.json()["detail"]
    with ctx.sessions() as session:
        kinds = session.scalars(select(Job.kind).where(Job.kind == "views")).all()
    assert kinds == ["views"]  # one views job for every picture
    again = client.get(f"{API}/{model_id}/download?format=reference_image&index=0")
    assert again.status_code == 202
    with ctx.sessions() as session:
        assert len(session.scalars(select(Job.kind).where(Job.kind == "views")).all()) == 1

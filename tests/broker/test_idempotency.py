"""Idempotency-Key on dx.gl POSTs, against a real server on SQLite and PostgreSQL: one key
runs one request — one render, one charge — however many times, and however concurrently,
it is sent; the same key with another request is refused."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from broker.db.engine import transaction
from broker.db.models import CreditEntry, IdempotencyKey, Render, utcnow
from testdata import ASSETS

BOX = ASSETS / "BoxTextured.glb"
CONCURRENT = 16


def _balance(base: str, headers: dict[str, str]) -> int:
    credits: int = httpx.get(f"{base}/v1/account", headers=headers).json()["data"]["credits"]
    return credits


def _upload(base: str, headers: dict[str, str], key: str | None = None) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    with BOX.open("rb") as fh:
        return httpx.post(
            f"{base}/v1/models",
            headers={**headers, **extra},
            files={"file": ("box.glb", fh, "model/gltf-binary")},
            data={"renderSettings": '{"aspect": "1:1"}'},
            timeout=60,
        )


def test_16_concurrent_renders_with_one_key_make_one_render_and_one_charge(
    ctx, live_server, make_user
):
    user = make_user(credits=20)
    model_id = _upload(live_server, user.headers).json()["data"]["modelId"]
    before = _balance(live_server, user.headers)
    key = str(uuid.uuid4())
    body = {"modelId": model_id, "renderSettings": {"quality": "standard"}}
    start = threading.Barrier(CONCURRENT)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server, headers=user.headers, timeout=120) as http:
            start.wait()
            return http.post("/v1/renders", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(post, range(CONCURRENT)))

    assert [r.status_code for r in answers] == [201] * CONCURRENT, [r.text for r in answers]
    assert len({r.content for r in answers}) == 1, "every answer is the first one's"
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == CONCURRENT - 1
    render_id = answers[0].json()["data"]["id"]
    with ctx.sessions() as session:
        renders = session.scalars(
            select(Render.id).where(
                Render.model_id == model_id, Render.is_system_preview.is_(False)
            )
        ).all()
        charges = session.scalars(
            select(CreditEntry.delta).where(
                CreditEntry.account_id == user.account_id, CreditEntry.delta == -4
            )
        ).all()
    assert len(renders) == 2, renders  # the upload's own render and this one
    assert render_id in renders
    assert charges == [-4], "one reservation of the HD render's 4 credits"
    assert _balance(live_server, user.headers) == before - 4


def test_the_same_key_with_another_body_is_refused(live_server, make_user):
    user = make_user(credits=20)
    model_id = _upload(live_server, user.headers).json()["data"]["modelId"]
    key = "order-1234"
    first = httpx.post(
        f"{live_server}/v1/renders",
        headers={**user.headers, "Idempotency-Key": key},
        json={"modelId": model_id},
    )
    assert first.status_code == 201
    other = httpx.post(
        f"{live_server}/v1/renders",
        headers={**user.headers, "Idempotency-Key": key},
        json={"modelId": model_id, "renderSettings": {"quality": "4k"}},
    )
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused" and error["status"] == 422
    assert "different request" in error["message"]
    elsewhere = httpx.post(
        f"{live_server}/v1/quote",
        headers={**user.headers, "Idempotency-Key": key},
        json={"renders": [{"quality": "share"}]},
    )
    assert elsewhere.status_code == 422, "a key names one request, whatever its path"


def test_keys_are_per_account(live_server, make_user):
    a, b = make_user(credits=5), make_user(credits=5)
    answers = [_upload(live_server, u.headers, key="same-key") for u in (a, b)]
    assert [r.status_code for r in answers] == [201, 201]
    assert answers[0].json()["data"]["modelId"] != answers[1].json()["data"]["modelId"]
    assert all("idempotent-replayed" not in r.headers for r in answers)


def test_a_retried_upload_is_stored_and_charged_once(ctx, live_server, make_user):
    """A multipart body gets a new boundary on every attempt; it is the same request."""
    user = make_user(credits=5)
    first = _upload(live_server, user.headers, key="upload-1")
    again = _upload(live_server, user.headers, key="upload-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["data"]["duplicate"] is False
    assert again.headers["idempotent-replayed"] == "true"
    with ctx.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(Render).where(Render.account_id == user.account_id)
        )
    assert count == 2  # the free preview and the one charged render
    assert _balance(live_server, user.headers) == 4
    plain = _upload(live_server, user.headers)
    assert plain.json()["data"]["duplicate"] is True, "without the key it is a new request"


def test_a_refusal_is_kept_and_a_bad_key_is_refused(live_server, make_user):
    user = make_user(credits=0)
    model = _upload(live_server, make_user(credits=5).headers)
    assert model.status_code == 201
    refused = [_upload(live_server, user.headers, key="broke") for _ in range(2)]
    assert [r.status_code for r in refused] == [402, 402]
    assert refused[1].headers["idempotent-replayed"] == "true"
    bad = httpx.post(
        f"{live_server}/v1/quote",
        headers={**user.headers, "Idempotency-Key": "x" * 256},
        json={"renders": [{}]},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"


def test_a_key_is_kept_24_hours(ctx, live_server, make_user):
    user = make_user(credits=5)
    quote = {"renders": [{"quality": "share"}]}
    headers = {**user.headers, "Idempotency-Key": "daily"}
    assert httpx.post(f"{live_server}/v1/quote", headers=headers, json=quote).status_code == 200
    other = {"renders": [{"quality": "4k"}]}
    assert httpx.post(f"{live_server}/v1/quote", headers=headers, json=other).status_code == 422
    with transaction(ctx.sessions) as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "daily")
            .values(created_at=utcnow() - timedelta(hours=24, minutes=1))
        )
    later = httpx.post(f"{live_server}/v1/quote", headers=headers, json=other)
    assert later.status_code == 200 and "idempotent-replayed" not in later.headers
    assert later.json()["data"]["creditsRequired"] == 16


def test_a_busy_database_while_claiming_is_a_503_and_claims_nothing(db_url, live_server, make_user):
    """SQLite: another connection holds the write lock past the 5 s busy timeout."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock that blocks every writer is SQLite's")
    user = make_user(credits=5)
    headers = {**user.headers, "Idempotency-Key": "while-busy"}
    body = {"renders": [{"quality": "share"}]}
    blocker = sqlite3.connect(str(make_url(db_url).database), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        busy = httpx.post(f"{live_server}/v1/quote", headers=headers, json=body, timeout=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert busy.status_code == 503, busy.text
    assert busy.json()["error"]["code"] == "service_unavailable"
    assert busy.headers["retry-after"]
    again = httpx.post(f"{live_server}/v1/quote", headers=headers, json=body)
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers

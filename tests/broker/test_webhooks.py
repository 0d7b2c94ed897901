"""Webhooks of finished conversions: a real receiver on loopback, the documented check."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from test_refinery_support import BASE, fail, finish, new_key

from broker.db.engine import transaction
from broker.db.models import WebhookDelivery
from broker.dialects.refinery.views import webhook_body
from broker.webhooks.outbox import WebhookLoop
from workers.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[[str, str, bytes], bool]:
    """The receiver's check exactly as docs/webhooks.md shows it."""
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace["verify"]  # type: ignore[return-value]


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    """Answers in turn; the last one repeats."""
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("", [200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses[min(len(state.got), len(state.statuses)) - 1]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=db_url,
        webhook_allow_private=True,
        webhook_backoff_seconds=[0.05, 0.05, 0.05],
        _env_file=None,
    )


def _convert(client, key: str, webhook_url: str | None) -> str:  # type: ignore[no-untyped-def]
    data = {"webhook_url": webhook_url} if webhook_url else {}
    response = client.post(
        f"{BASE}/convert",
        headers={"X-API-Key": key},
        files={"file": ("model.obj", b"v 0 0 0\n", "text/plain")},
        data=data,
    )
    assert response.status_code == 200, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _rounds(loop: WebhookLoop, until: Callable[[], bool], limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not until():
        assert time.monotonic() < deadline, "the webhook did not arrive in time"
        loop.run_once()
        time.sleep(0.02)


def _row(ctx, job_id_of_conversion: str) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    from broker.db.models import Conversion

    with transaction(ctx.sessions) as session:
        conversion = session.get(Conversion, job_id_of_conversion)
        assert conversion is not None
        row = session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.job_id == conversion.job_id)
        )
        assert row is not None
        session.expunge(row)
        return row


def test_one_correctly_signed_post_per_finished_job(client, ctx, receiver, tmp_path):
    key = new_key(ctx)
    done_id = _convert(client, key, receiver.url)
    failed_id = _convert(client, key, receiver.url)
    quiet_id = _convert(client, key, None)
    loop = WebhookLoop(ctx, webhook_body)
    assert loop.run_once() == 0  # nothing has finished yet
    finish(ctx, done_id, tmp_path)
    fail(ctx, failed_id, "The file is not an OBJ")
    finish(ctx, quiet_id, tmp_path)
    assert loop.run_once() == 2
    for _ in range(3):
        assert loop.run_once() == 0
    assert len(receiver.got) == 2
    verify = documented_verify()
    bodies = {}
    for headers, body in receiver.got:
        assert headers["content-type"] == "application/json"
        assert verify(key, headers["x-meshfarm-signature"], body)
        assert not verify(new_key(ctx, "eve@example.com"), headers["x-meshfarm-signature"], body)
        assert not verify(key, headers["x-meshfarm-signature"], body + b" ")
        decoded = json.loads(body)
        bodies[decoded["job_id"]] = decoded
    assert bodies == {
        done_id: {
            "job_id": done_id,
            "status": "completed",
            "health_score": 87,
            "download_url": f"/api/v1/download/{done_id}",
        },
        failed_id: {
            "job_id": failed_id,
            "status": "failed",
            "health_score": None,
            "download_url": f"/api/v1/download/{failed_id}",
        },
    }
    row = _row(ctx, done_id)
    assert row.attempts == 1 and row.delivered_at is not None and row.last_error is None


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try(client, ctx, receiver, tmp_path):
    receiver.statuses = [500, 502, 200]
    key = new_key(ctx)
    job_id = _convert(client, key, receiver.url)
    finish(ctx, job_id, tmp_path)
    loop = WebhookLoop(ctx, webhook_body)
    _rounds(loop, lambda: _row_or_none(ctx, job_id) is not None and _delivered(ctx, job_id))
    assert len(receiver.got) == 3
    assert len({h["x-meshfarm-delivery"] for h, _ in receiver.got}) == 1
    assert len({b for _, b in receiver.got}) == 1  # the same body every time
    verify = documented_verify()
    assert all(verify(key, h["x-meshfarm-signature"], b) for h, b in receiver.got)
    row = _row(ctx, job_id)
    assert row.attempts == 3 and row.given_up_at is None
    loop.run_once()
    assert len(receiver.got) == 3


def _row_or_none(ctx, conversion_id: str) -> WebhookDelivery | None:  # type: ignore[no-untyped-def]
    try:
        return _row(ctx, conversion_id)
    except AssertionError:
        return None


def _delivered(ctx, conversion_id: str) -> bool:  # type: ignore[no-untyped-def]
    return _row(ctx, conversion_id).delivered_at is not None


def test_a_receiver_that_always_fails_is_given_up_after_the_last_retry(
    client, ctx, receiver, tmp_path
):
    receiver.statuses = [503]
    ctx.settings.webhook_backoff_seconds = [0.01]
    key = new_key(ctx)
    job_id = _convert(client, key, receiver.url)
    finish(ctx, job_id, tmp_path)
    loop = WebhookLoop(ctx, webhook_body)
    _rounds(
        loop, lambda: (r := _row_or_none(ctx, job_id)) is not None and r.given_up_at is not None
    )
    row = _row(ctx, job_id)
    assert row.attempts == 2 and row.delivered_at is None
    assert row.last_error == "the receiver answered HTTP 503"
    for _ in range(3):
        loop.run_once()
    assert len(receiver.got) == 2


def test_loopback_is_refused_at_submit_and_at_delivery_without_the_setting(
    client, ctx, receiver, tmp_path
):
    key = new_key(ctx)
    job_id = _convert(client, key, receiver.url)  # allowed while the setting is on
    ctx.settings.webhook_allow_private = False
    refused = client.post(
        f"{BASE}/convert",
        headers={"X-API-Key": key},
        files={"file": ("model.obj", b"v 0 0 0\n", "text/plain")},
        data={"webhook_url": receiver.url},
    )
    assert refused.status_code == 400
    assert refused.json() == {"detail": "webhook_url is not a public address"}
    finish(ctx, job_id, tmp_path)
    loop = WebhookLoop(ctx, webhook_body)
    assert loop.run_once() == 1
    row = _row(ctx, job_id)
    assert row.given_up_at is not None and "not a public address" in (row.last_error or "")
    assert receiver.got == []


def test_the_loop_runs_as_a_thread_of_its_own(client, ctx, receiver, tmp_path):
    key = new_key(ctx)
    job_id = _convert(client, key, receiver.url)
    loop = WebhookLoop(ctx, webhook_body, poll_s=0.02)
    loop.start()
    try:
        finish(ctx, job_id, tmp_path)
        deadline = time.monotonic() + 5
        while not receiver.got and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        loop.stop()
    assert len(receiver.got) == 1


def test_the_database_keeps_one_delivery_row_per_job(client, ctx, receiver, tmp_path):
    from sqlalchemy.exc import IntegrityError

    from broker.webhooks.outbox import enqueue

    key = new_key(ctx)
    job_id = _convert(client, key, receiver.url)
    finish(ctx, job_id, tmp_path)
    with transaction(ctx.sessions) as session:
        assert enqueue(session, webhook_body) == 1
    with transaction(ctx.sessions) as session:
        assert enqueue(session, webhook_body) == 0
    row = _row(ctx, job_id)
    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(WebhookDelivery(job_id=row.job_id, url=row.url, body="{}", attempts=0))

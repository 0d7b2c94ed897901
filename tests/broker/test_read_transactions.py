"""Polling GETs read in a deferred transaction: on SQLite they neither wait for a writer
(a worker's progress report, an upload's commit) nor hold the write lock themselves."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio.to_thread
import pytest
from sqlalchemy import text

from broker.db.engine import reading

DUCK = Path(__file__).parent.parent / "assets" / "Duck.glb"


def test_reads_answer_while_a_writer_holds_the_lock(ctx, client, user, upload, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock that blocks every BEGIN IMMEDIATE is SQLite's")
    render_id = upload(user, DUCK).json()["data"]["renderId"]
    with ctx.engine.connect() as writer:
        writer.begin()  # BEGIN IMMEDIATE: the write lock, held for the whole check
        writer.execute(text("UPDATE accounts SET balance = balance"))
        started = time.monotonic()
        got = client.get(f"/v1/renders/{render_id}", headers=user.headers)
        listed = client.get("/v1/models", headers=user.headers)
        health = client.get("/v1/health")
        took = time.monotonic() - started
        writer.rollback()
    assert got.status_code == 200 and got.json()["data"]["id"] == render_id
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
    assert health.status_code == 200 and health.json()["data"]["database"] == "ok"
    assert took < 2.0, f"the reads waited {took:.1f} s for the writer"


def test_reading_takes_no_write_lock(ctx, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's locking")
    with reading(ctx.sessions) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
        with ctx.engine.connect() as writer:  # would wait 5 s, then fail, behind a writer
            started = time.monotonic()
            writer.begin()
            writer.execute(text("UPDATE accounts SET balance = balance"))
            writer.commit()
            assert time.monotonic() - started < 2.0


def test_polls_are_answered_while_slow_requests_hold_every_api_thread(client, user, upload):
    """A render's poll and the models list run in their own small pool: forty requests
    stuck in FastAPI's threads (a conversion waited for, a slow disk) do not hold them up."""
    render_id = upload(user, DUCK).json()["data"]["renderId"]
    limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
    release = threading.Event()
    for _ in range(int(limiter.total_tokens)):
        client.portal.start_task_soon(anyio.to_thread.run_sync, release.wait)
    threading.Timer(5.0, release.set).start()  # a poll queued behind them waits this long
    try:
        deadline = time.monotonic() + 10
        while client.portal.call(lambda: limiter.borrowed_tokens) < limiter.total_tokens:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        started = time.monotonic()
        got = client.get(f"/v1/renders/{render_id}", headers=user.headers)
        listed = client.get("/v1/models", headers=user.headers)
        took = time.monotonic() - started
    finally:
        release.set()
    assert got.status_code == 200 and got.json()["data"]["id"] == render_id
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
    assert took < 2.0, f"the polls waited {took:.1f} s for a thread"

"""Render jobs as claimable rows: leases, fencing, expiry, attempts — on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from broker.db.engine import transaction
from broker.db.models import Account, Job, Render
from broker.jobs import queue
from broker.jobs.machine import move
from broker.jobs.states import JobState
from testdata import ASSETS

KINDS = ["render", "dataset"]
NOUNS = {"render": "render", "dataset": "render"}


def _expire_all(ctx) -> None:
    with transaction(ctx.sessions) as session:
        session.execute(
            update(Job)
            .where(Job.state == "running")
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_preview_is_claimed_first_and_a_lease_fences_others(ctx, client, user, upload):
    upload(user, ASSETS / "Duck.glb")
    with transaction(ctx.sessions) as session:
        first = queue.claim(session, "worker-a", 60, KINDS)
        second = queue.claim(session, "worker-b", 60, KINDS)
    assert first is not None and second is not None
    with ctx.sessions() as session:  # the free preview first: it has the higher priority
        assert session.get(Job, first.job_id).spec["preview"] is True
        assert session.get(Job, second.job_id).spec["preview"] is False
    assert first.attempt == 1
    with transaction(ctx.sessions) as session:
        assert queue.claim(session, "worker-c", 60, KINDS) is None
        assert queue.renew(session, first, 60) is True
    _expire_all(ctx)
    with transaction(ctx.sessions) as session:
        requeued, failed = queue.requeue_expired(session, "test", NOUNS)
    assert sorted(requeued) == sorted([first.job_id, second.job_id]) and failed == []
    with transaction(ctx.sessions) as session:
        again = queue.claim(session, "worker-c", 60, KINDS)
        assert again is not None and again.job_id == first.job_id and again.attempt == 2
        # the old holder lost its lease: it can neither renew nor finish
        assert queue.renew(session, first, 60) is False
        assert move(session, first.job_id, JobState.SUCCEEDED, first.guard, by="a") is False
        assert move(session, again.job_id, JobState.SUCCEEDED, again.guard, by="c") is True


def test_third_expiry_ends_in_error_with_one_refund(ctx, client, make_user, upload):
    u = make_user(credits=10)
    render_id = upload(u, ASSETS / "Duck.glb", '{"quality": "standard"}').json()["data"]["renderId"]
    with ctx.sessions() as session:
        assert session.get(Account, u.account_id).balance == 6
    for attempt in range(1, 4):
        with transaction(ctx.sessions) as session:
            leases = [queue.claim(session, "w", 60, KINDS), queue.claim(session, "w", 60, KINDS)]
            job_id = session.get(Render, render_id).job_id
        lease = next(x for x in leases if x and x.job_id == job_id)
        assert lease.attempt == attempt
        _expire_all(ctx)
        with transaction(ctx.sessions) as session:
            queue.requeue_expired(session, "test", NOUNS)
    with ctx.sessions() as session:
        job = session.get(Render, render_id).job
        assert job.state == "failed" and "interrupted 3 times" in job.error_message
        assert session.get(Account, u.account_id).balance == 10


def test_concurrent_claims_never_hand_out_a_job_twice(ctx, client, make_user, upload):
    u = make_user(credits=100)
    mid = upload(u, ASSETS / "Duck.glb").json()["data"]["modelId"]
    client.post(
        "/v1/renders/batch",
        headers=u.headers,
        json={"renders": [{"modelId": mid}] * 30},
    )

    def worker(name: str) -> list[str]:
        got = []
        while True:
            with transaction(ctx.sessions) as session:
                lease = queue.claim(session, name, 60, KINDS)
            if lease is None:
                return got
            got.append(lease.job_id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(worker, ["a", "b", "c", "d"]))
    claimed = [j for r in results for j in r]
    assert len(claimed) == 32 and len(set(claimed)) == 32


def test_a_started_dispatcher_is_not_started_twice(ctx):
    """The app's lifespan starts the dispatcher it is handed, even one already running:
    a second loop would race the first on the executor's events."""
    import threading

    from broker.dispatcher import Dispatcher
    from workers.local_executor import LocalExecutor

    dispatcher = Dispatcher(ctx, LocalExecutor(ctx.settings, workers=0, cpu_workers=0))
    dispatcher.start()
    dispatcher.start()
    try:
        loops = [t for t in threading.enumerate() if t.name == "dispatcher"]
        assert len(loops) == 1
    finally:
        dispatcher.stop()
    assert not any(t.name == "dispatcher" and t.is_alive() for t in threading.enumerate())

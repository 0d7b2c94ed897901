"""The job engine: the transition table, compare-and-set conflicts, the history a job
keeps, and credits reserved, charged or refunded exactly once — on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from broker.db.engine import transaction
from broker.db.models import Account, CreditEntry, Job, JobTransition
from broker.jobs import queue
from broker.jobs.billing import ledger_balance
from broker.jobs.machine import Guard, move
from broker.jobs.states import TRANSITIONS, JobState
from broker.jobs.submit import submit
from broker.services import accounts
from workers.specs import RenderSpec

OWNER = "test-dispatcher"


def _account(ctx, credits: int = 100) -> str:
    with transaction(ctx.sessions) as session:
        return accounts.create_account(session, "jobs@example.com", initial_credits=credits).id


def _job(ctx, account_id: str, tier: str = "standard") -> str:
    with transaction(ctx.sessions) as session:
        spec = RenderSpec(model_id="m1", tier=tier)
        return submit(session, account_id, [spec], by="test", max_attempts=3)[0].id


def _claim(ctx) -> queue.Lease:
    with transaction(ctx.sessions) as session:
        lease = queue.claim(session, OWNER, 60, ["render"])
    assert lease is not None
    return lease


def _history(ctx, job_id: str) -> list[tuple[str | None, str, str | None]]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(JobTransition).where(JobTransition.job_id == job_id).order_by(JobTransition.id)
        ).all()
        return [(r.from_state, r.to_state, r.phase) for r in rows]


def test_terminal_states_lead_nowhere_and_every_state_is_reachable():
    reachable = {JobState.QUEUED} | {t for targets in TRANSITIONS.values() for t in targets}
    assert reachable == set(JobState)
    for state in (JobState.SUCCEEDED, JobState.DISMISSED, JobState.CANCELLED):
        assert TRANSITIONS[state] == frozenset()
    assert JobState.QUEUED not in TRANSITIONS[JobState.FAILED]  # a failure is never retried


def test_a_move_outside_the_table_is_refused_before_the_database(ctx):
    job_id = _job(ctx, _account(ctx))
    with transaction(ctx.sessions) as session, pytest.raises(ValueError):
        move(session, job_id, JobState.DISMISSED, Guard((JobState.QUEUED,)), by="test")


def test_history_records_who_moved_the_job_and_why(ctx):
    account = _account(ctx)
    job_id = _job(ctx, account)
    lease = _claim(ctx)
    with transaction(ctx.sessions) as session:
        assert move(session, job_id, JobState.RUNNING, lease.guard, by="w", phase="poster-done")
        assert move(session, job_id, JobState.FAILED, lease.guard, by="w", message="bad model")
    with transaction(ctx.sessions) as session:
        assert move(session, job_id, JobState.DISMISSED, Guard((JobState.FAILED,)), by="user")
    assert _history(ctx, job_id) == [
        (None, "queued", None),
        ("queued", "running", None),
        ("running", "running", "poster-done"),
        ("running", "failed", None),
        ("failed", "dismissed", None),
    ]
    with ctx.sessions() as session:
        rows = session.scalars(select(JobTransition).where(JobTransition.job_id == job_id)).all()
        assert [r.by for r in rows] == ["test", OWNER, "w", "w", "user"]
        assert rows[3].message == "bad model"
        assert all(r.at is not None for r in rows)
        assert session.get(Job, job_id).error_message == "bad model"


def test_a_stale_lease_cannot_move_the_job(ctx):
    job_id = _job(ctx, _account(ctx))
    first = _claim(ctx)
    with transaction(ctx.sessions) as session:  # the lease expires and is taken over
        queue.expire(session, first)
        assert queue.requeue_expired(session, OWNER, {}) == ([job_id], [])
    second = _claim(ctx)
    assert second.version > first.version and second.attempt == 2
    with transaction(ctx.sessions) as session:
        assert not move(session, job_id, JobState.SUCCEEDED, first.guard, by="old worker")
        assert not queue.renew(session, first, 60)
        assert move(session, job_id, JobState.SUCCEEDED, second.guard, by="new worker")
    assert [h[1] for h in _history(ctx, job_id)] == [
        "queued",
        "running",
        "queued",
        "running",
        "succeeded",
    ]


def _race(workers: list[Callable[[], bool]]) -> list[bool]:
    """Run the callables at the same moment, each in its own thread and transaction."""
    barrier = threading.Barrier(len(workers))
    results: list[bool] = [False] * len(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = workers[i]()
        except BaseException as exc:  # a lost race may also surface as the DB's refusal
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("locked" in str(e) or "could not serialize" in str(e) for e in errors), errors
    return results


def test_concurrent_claims_lease_one_job_once(ctx):
    _job(ctx, _account(ctx))

    def claim() -> bool:
        with transaction(ctx.sessions) as session:
            return queue.claim(session, OWNER, 60, ["render"]) is not None

    assert sum(_race([claim] * 6)) == 1


def test_a_failure_is_refunded_once_whoever_reports_it(ctx):
    account = _account(ctx, credits=10)
    job_id = _job(ctx, account)  # standard: 4 credits
    lease = _claim(ctx)

    def fail() -> bool:
        with transaction(ctx.sessions) as session:
            return move(session, job_id, JobState.FAILED, lease.guard, by="w", message="x")

    assert sum(_race([fail] * 6)) == 1
    with ctx.sessions() as session:
        kinds = session.scalars(
            select(CreditEntry.kind).where(CreditEntry.job_id == job_id).order_by(CreditEntry.id)
        ).all()
        assert kinds == ["reserve", "refund"]
        assert session.get(Account, account).balance == 10 == ledger_balance(session, account)


def test_success_and_failure_race_settles_once(ctx):
    account = _account(ctx, credits=10)
    job_id = _job(ctx, account)
    lease = _claim(ctx)

    def finish(target: JobState) -> Callable[[], bool]:
        def run() -> bool:
            with transaction(ctx.sessions) as session:
                return move(session, job_id, target, lease.guard, by="w", message="m")

        return run

    results = _race([finish(JobState.SUCCEEDED), finish(JobState.FAILED)] * 3)
    assert sum(results) == 1
    with ctx.sessions() as session:
        job = session.get(Job, job_id)
        settled = session.scalars(
            select(CreditEntry.kind).where(
                CreditEntry.job_id == job_id, CreditEntry.kind.in_(("charge", "refund"))
            )
        ).all()
        assert settled == (["charge"] if job.state == "succeeded" else ["refund"])
        expected = 6 if job.state == "succeeded" else 10
        assert session.get(Account, account).balance == expected == ledger_balance(session, account)


def test_the_ledger_refuses_a_second_settlement_by_constraint(ctx):
    """Whatever code path tries it: the unique index, not the code, makes it once."""
    account = _account(ctx, credits=10)
    job_id = _job(ctx, account)
    lease = _claim(ctx)
    with transaction(ctx.sessions) as session:
        assert move(session, job_id, JobState.SUCCEEDED, lease.guard, by="w")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(CreditEntry(account_id=account, delta=4, kind="refund", job_id=job_id))
        session.flush()
    with ctx.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(CreditEntry).where(CreditEntry.job_id == job_id)
        )
        assert count == 2  # reserve + charge


def test_a_batch_reserves_all_or_nothing(ctx):
    from broker.errors import NoCredits

    account = _account(ctx, credits=5)
    with pytest.raises(NoCredits), transaction(ctx.sessions) as session:
        specs = [RenderSpec(model_id="m", tier="standard")] * 2  # 8 > 5
        submit(session, account, specs, by="test", max_attempts=3)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.get(Account, account).balance == 5


def test_abandoned_after_the_last_attempt_fails_and_refunds(ctx):
    account = _account(ctx, credits=10)
    job_id = _job(ctx, account)
    for _ in range(3):
        lease = _claim(ctx)
        with transaction(ctx.sessions) as session:
            queue.expire(session, lease)
            requeued, failed = queue.requeue_expired(session, OWNER, {"render": "render"})
    assert failed == [job_id] and requeued == []
    with ctx.sessions() as session:
        job = session.get(Job, job_id)
        assert job.state == "failed"
        assert job.error_message == "The render was interrupted 3 times and has been abandoned"
        assert session.get(Account, account).balance == 10

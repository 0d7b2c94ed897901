"""A render's ``progress`` and ``eta`` on a real farm (the dispatcher and a render worker
process): polled every 0.1 s while a share render of a textured box draws its frames, the
bar moves through the frames instead of waiting at the first poster's 20 %. And the
engine's side, on both databases: a stale attempt's frames are fenced out, the share
never goes back, and a retry's bar starts from its own frames."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from sqlalchemy import select

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job, JobTransition
from broker.jobs import queue
from broker.jobs.reports import apply_report
from broker.jobs.submit import submit
from broker.services import accounts
from broker.services.render_jobs import RENDER_HOOKS
from workers.jobs import JobEvent
from workers.specs import RenderSpec

BOX = Path(__file__).resolve().parents[1] / "assets" / "BoxTextured.glb"


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, TestClient]]:
    with (
        farm_context(tmp_path_factory.mktemp("progress-farm"), lease_seconds=60) as ctx,
        farm_client(ctx, render_workers=1) as client,
    ):
        yield ctx, client


def _user(ctx: AppContext) -> dict[str, str]:
    with transaction(ctx.sessions) as session:
        email = f"progress-{uuid.uuid4().hex[:8]}@example.com"
        account = accounts.create_account(session, email, initial_credits=20)
        token = accounts.issue_token(session, account).token
    return {"Authorization": f"Bearer {token}"}


def _watch(client: TestClient, user: dict[str, str], render_id: str) -> list[dict]:
    """Every answer of GET /v1/renders/:id, 0.1 s apart, until the render has ended."""
    seen: list[dict] = []
    deadline = time.monotonic() + 300
    while not seen or seen[-1]["status"] not in ("done", "error"):
        assert time.monotonic() < deadline, seen[-1]
        res = client.get(f"/v1/renders/{render_id}", headers=user)
        assert res.status_code == 200, res.text
        seen.append(res.json()["data"])
        time.sleep(0.1)
    return seen


@pytest.mark.slow
def test_progress_moves_with_the_frames_and_the_eta_shrinks(farm) -> None:
    ctx, client = farm
    user = _user(ctx)
    with BOX.open("rb") as fh:
        res = client.post(
            "/v1/models",
            headers=user,
            files={"file": (BOX.name, fh, "model/gltf-binary")},
            data={"renderSettings": '{"length": 3}'},  # the share tier, the default
        )
    assert res.status_code == 201, res.text
    seen = _watch(client, user, res.json()["data"]["renderId"])

    assert seen[-1]["status"] == "done", seen[-1]
    assert seen[-1]["progress"] == 100 and seen[-1]["eta"] == 0
    shares = [r["progress"] for r in seen]
    assert shares == sorted(shares), f"progress only goes forward: {shares}"
    drawing = sorted({p for p in shares if 20 < p < 90})
    assert len(drawing) >= 3, f"the bar moves while the frames are drawn: {shares}"
    etas = [(r["progress"], r["eta"]) for r in seen if r["eta"] is not None]
    assert all(eta >= 0 for _, eta in etas), etas
    late = [eta for p, eta in etas if 20 < p < 90]
    assert late[-1] < max(late), f"the eta shrinks as the last frames are drawn: {etas}"


def _report(ctx: AppContext, lease: queue.Lease, **fields: object) -> bool:
    event = JobEvent(job_id=lease.job_id, lease_version=lease.version, kind="progress", **fields)
    with transaction(ctx.sessions) as session:
        return apply_report(session, lease, event, RENDER_HOOKS)


def _fraction(ctx: AppContext, job_id: str) -> float | None:
    with ctx.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.fraction


def _claim(ctx: AppContext) -> queue.Lease:
    with transaction(ctx.sessions) as session:
        lease = queue.claim(session, "test-dispatcher", 60, ["render"])
    assert lease is not None
    return lease


def test_a_stale_attempts_frames_are_fenced_and_a_retry_starts_afresh(ctx) -> None:
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "frames@example.com", initial_credits=10)
        job_id = submit(
            session, account.id, [RenderSpec(model_id="m1")], by="test", max_attempts=3
        )[0].id
    first = _claim(ctx)
    assert _report(ctx, first, phase="poster-processing")
    assert _report(ctx, first, fraction=0.5) and _fraction(ctx, job_id) == 0.5
    assert not _report(ctx, first, fraction=0.4) and _fraction(ctx, job_id) == 0.5

    with transaction(ctx.sessions) as session:  # the lease expires and is taken over
        queue.expire(session, first)
        assert queue.requeue_expired(session, "test-dispatcher", {}) == ([job_id], [])
    second = _claim(ctx)
    assert not _report(ctx, first, fraction=0.9) and _fraction(ctx, job_id) == 0.5
    assert _report(ctx, second, phase="poster-processing") and _fraction(ctx, job_id) is None
    assert _report(ctx, second, fraction=0.1) and _fraction(ctx, job_id) == 0.1

    with ctx.sessions() as session:  # the frames are no moves: only the phases are history
        rows = session.scalars(
            select(JobTransition).where(JobTransition.job_id == job_id).order_by(JobTransition.id)
        )
        assert [(r.to_state, r.phase) for r in rows] == [
            ("queued", None),
            ("running", None),
            ("running", "poster-processing"),
            ("queued", None),
            ("running", None),
            ("running", "poster-processing"),
        ]

"""The fleet on a real local Ray cluster (one fake GPU slot): dispatch, failures, restarts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Render
from broker.dispatcher import Dispatcher
from broker.services import accounts
from checks import assert_retried_once_and_charged_once
from testdata import ASSETS
from workers.config import Settings

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
SHORT = '{"length": 3}'


@pytest.fixture
def fleet_ctx(tmp_path: Path, db_url: str, ray_cluster) -> Iterator[AppContext]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", database_url=db_url, lease_seconds=20, _env_file=None
    )
    ctx = AppContext.from_settings(settings)
    yield ctx
    ctx.close()


def _fleet(ctx: AppContext, **options) -> Dispatcher:
    from workers.ray_executor import RayExecutor

    pool = options.pop("pool", f"t{uuid.uuid4().hex[:8]}")
    return Dispatcher(ctx, RayExecutor(ctx.settings, pool=pool, **options))


def _account(ctx: AppContext, credits: int = 100) -> tuple[dict[str, str], str]:
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(
            session,
            f"{uuid.uuid4().hex[:6]}@example.com",
            initial_credits=credits,
            is_admin=True,
        )
        token = accounts.issue_token(session, account).token
    return {"Authorization": f"Bearer {token}"}, account.id


def _upload(client: TestClient, headers: dict[str, str], asset: str) -> dict[str, str]:
    """Upload a test asset with a short (3 s) render; returns {modelId, renderId}."""
    with (ASSETS / asset).open("rb") as fh:
        res = client.post(
            "/v1/models",
            headers=headers,
            files={"file": (asset, fh)},
            data={"renderSettings": SHORT},
        )
    assert res.status_code == 201, res.text
    data: dict[str, str] = res.json()["data"]
    return data


def _wait_all(ctx: AppContext, render_ids: list[str], timeout: float = 900) -> dict[str, Render]:
    deadline = time.monotonic() + timeout
    while True:
        with ctx.sessions() as session:
            renders = {
                r.id: r for r in session.scalars(select(Render).where(Render.id.in_(render_ids)))
            }
        if all(r.job.state in ("succeeded", "failed") for r in renders.values()):
            return renders
        assert time.monotonic() < deadline, {r.id: r.job.state for r in renders.values()}
        time.sleep(0.3)


def test_gpu_actor_renders_and_reports(fleet_ctx):
    dispatcher = _fleet(fleet_ctx)
    dispatcher.start()
    try:
        headers, _ = _account(fleet_ctx)
        app = create_app(fleet_ctx)
        app.state.dispatcher = dispatcher
        with TestClient(app) as client:
            body = _upload(client, headers, "BoxTextured.glb")
            renders = _wait_all(fleet_ctx, [body["renderId"]])
            assert renders[body["renderId"]].job.state == "succeeded"
            video = client.get(f"/v1/renders/{body['renderId']}/video", headers=headers)
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
            fleet = client.get("/v1/admin/workers", headers=headers).json()["data"]
        assert fleet["executor"] == "RayExecutor"
        pools = {w["pool"]: w for w in fleet["workers"]}
        assert len(fleet["workers"]) == 2 and pools["gpu"]["gpu"] == "0"
        assert pools["gpu"]["jobsDone"] >= 2  # the preview and the render
        assert pools["cpu"]["gpu"] is None and pools["cpu"]["jobsDone"] == 0
    finally:
        dispatcher.stop()


def test_killed_actor_job_finishes_elsewhere_charged_once(fleet_ctx):
    dispatcher = _fleet(fleet_ctx, use_gpus=False, workers=2, cpu_workers=0)
    dispatcher.start()
    try:
        headers, account_id = _account(fleet_ctx)
        with TestClient(create_app(fleet_ctx)) as client:
            body = _upload(client, headers, "Duck.glb")
        deadline = time.monotonic() + 300
        while True:
            with fleet_ctx.sessions() as session:
                render = session.get(Render, body["renderId"])
            if render.job.phase in ("poster-processing", "poster-done", "video-processing"):
                job_id = render.job_id
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        executor = dispatcher.executor
        slots = executor._pools["gpu"]  # type: ignore[attr-defined]
        victim = next(s for s in slots if job_id in dispatcher.leases and job_id in s.jobs)
        ray.kill(victim.actor, no_restart=False)
        renders = _wait_all(fleet_ctx, [body["renderId"]])
        assert renders[body["renderId"]].job.state == "succeeded"
        assert_retried_once_and_charged_once(fleet_ctx, body["renderId"], account_id)
    finally:
        dispatcher.stop()


def test_20_jobs_on_2_actors_none_lost_none_twice(fleet_ctx):
    dispatcher = _fleet(fleet_ctx, use_gpus=False, workers=2, cpu_workers=0)
    dispatcher.start()
    try:
        headers, _ = _account(fleet_ctx)
        with TestClient(create_app(fleet_ctx)) as client:
            body = _upload(client, headers, "BoxTextured.glb")
            batch = client.post(
                "/v1/renders/batch",
                headers=headers,
                json={
                    "renders": [{"modelId": body["modelId"], "renderSettings": {"length": 3}}] * 18
                },
            ).json()["data"]
        ids = [body["renderId"], *[r["id"] for r in batch]]
        with fleet_ctx.sessions() as session:
            preview = session.scalar(
                select(Render.id).where(
                    Render.model_id == body["modelId"], Render.is_system_preview.is_(True)
                )
            )
        ids.append(preview)
        assert len(ids) == 20
        renders = _wait_all(fleet_ctx, ids)
        assert all(r.job.state == "succeeded" for r in renders.values())
        jobs = [r.job for r in renders.values()]
        assert len(jobs) == 20 and all(j.attempts == 1 and j.state == "succeeded" for j in jobs)
        for rid in ids:
            outputs = fleet_ctx.settings.data_dir / "objects" / "renders" / rid
            assert [p.name for p in outputs.iterdir()] == ["attempt-1"]
    finally:
        dispatcher.stop()


def test_broker_restart_recovers_in_flight_jobs(fleet_ctx):
    pool = f"r{uuid.uuid4().hex[:8]}"
    first = _fleet(fleet_ctx, use_gpus=False, workers=2, cpu_workers=0, pool=pool)
    first.start()
    headers, _ = _account(fleet_ctx)
    with TestClient(create_app(fleet_ctx)) as client:
        body = _upload(client, headers, "Duck.glb")
    deadline = time.monotonic() + 300
    while not first.leases:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # the broker dies: its dispatcher stops, the Ray actors keep running
    first._stop.set()
    assert first._thread is not None
    first._thread.join(10)
    first.executor.detach()  # type: ignore[attr-defined]
    second = _fleet(fleet_ctx, use_gpus=False, workers=2, cpu_workers=0, pool=pool)
    second.start()
    try:
        with fleet_ctx.sessions() as session:
            ids = list(session.scalars(select(Render.id).where(Render.model_id == body["modelId"])))
        renders = _wait_all(fleet_ctx, ids)
        assert all(r.job.state == "succeeded" for r in renders.values()), {
            r.id: r.job.error_message for r in renders.values()
        }
    finally:
        second.stop()

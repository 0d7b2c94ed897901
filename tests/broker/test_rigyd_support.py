"""Helpers of the Rigyd tests (no tests here): the API's base path, a key, credits, and a
scripted worker's reports (claim, progress, done, error) through the real job engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job, SimReadyAsset
from broker.dialects.rigyd.keys import issue_key
from broker.jobs import billing, queue
from broker.jobs.reports import apply_report
from broker.services import accounts
from broker.services.simready_jobs import KINDS
from workers.jobs import Asset, JobEvent

BASE = "/rigyd/api"


def new_key(ctx: AppContext, email: str = "ann@example.com", *, test: bool = False) -> str:
    with transaction(ctx.sessions) as session:
        return issue_key(session, email, test=test)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def grant(ctx: AppContext, email: str, amount: int) -> None:
    with transaction(ctx.sessions) as session:
        account = accounts.find_account(session, email)
        billing.grant(session, account.id, amount, "grant", "test")


def balance(ctx: AppContext, email: str) -> int:
    with transaction(ctx.sessions) as session:
        return accounts.find_account(session, email).balance


def _lease(ctx: AppContext, asset_id: str) -> tuple[queue.Lease, Any, str]:
    """Claim SimReady jobs until this asset's is leased; its lease, assignment and kind."""
    with transaction(ctx.sessions) as session:
        row = session.get(SimReadyAsset, asset_id)
        assert row is not None
        job_id, kind = row.job_id, row.job.kind
        while True:
            lease = queue.claim(session, "test-worker", 60, [kind])
            assert lease is not None, "the asset's job is not queued"
            if lease.job_id == job_id:
                job = session.get(Job, job_id)
                hooks = KINDS[kind]
                return lease, hooks.assign(session, job, lease.attempt, lease.version), kind


def _report(ctx: AppContext, lease: queue.Lease, job_kind: str, **event: Any) -> None:
    with transaction(ctx.sessions) as session:
        job_event = JobEvent(job_id=lease.job_id, lease_version=lease.version, **event)
        assert apply_report(session, lease, job_event, KINDS[job_kind])


def start(ctx: AppContext, asset_id: str, phase: str = "preprocess") -> tuple[queue.Lease, str]:
    lease, _, kind = _lease(ctx, asset_id)
    _report(ctx, lease, kind, kind="progress", phase=phase)
    return lease, kind


def progress(ctx: AppContext, lease: queue.Lease, kind: str, phase: str) -> None:
    _report(ctx, lease, kind, kind="progress", phase=phase)


def finish(
    ctx: AppContext, asset_id: str, files: dict[str, bytes], result: dict[str, Any], tmp: Path
) -> None:
    """The worker's ``done``: ``files`` (by asset name) stored under the attempt's prefix."""
    lease, assignment, kind = _lease(ctx, asset_id)
    assets = {}
    for name, data in files.items():
        key = f"{assignment.output_prefix}/{name}"
        path = tmp / name.replace("/", "_")
        path.write_bytes(data)
        ctx.store.put_file(key, path)
        assets[name] = Asset(key=key, content_type="application/octet-stream", size=len(data))
    _report(ctx, lease, kind, kind="done", assets=assets, result=result)


def fail(ctx: AppContext, asset_id: str, message: str) -> None:
    lease, _, kind = _lease(ctx, asset_id)
    _report(ctx, lease, kind, kind="error", message=message)

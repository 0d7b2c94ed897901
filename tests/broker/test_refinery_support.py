"""Helpers of the Refinery tests (no tests here): keys, a fake worker's reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Conversion, Job
from broker.dialects.refinery.keys import issue_key
from broker.jobs import queue
from broker.jobs.reports import apply_report
from broker.services.convert_jobs import CONVERT_HOOKS, assign
from workers.jobs import Asset, JobEvent

BASE = "/refinery/api/v1"
REPORT: dict[str, Any] = {
    "health_score": 87,
    "fixes_applied": ["normals_regenerated", "root_xform_applied"],
    "lod_variants": 3,
    "collision_meshes_generated": True,
    "physics_material_inferred": "metal",
    "engine_readiness": {"unreal": True, "houdini": True, "apple_ar": False, "web_threejs": True},
    "geometry": {"vertices": 12450, "triangles": 24800, "meshes": 3},
    "checks": [
        {"id": "geometry.normals", "result": "warn", "message": "regenerated"},
        {"id": "output.arkit", "result": "pass", "message": "ARKit rules clean"},
        {"id": "output.usd_validation", "result": "fail", "message": "UsdValidation: 1 error"},
    ],
}


def new_key(ctx: AppContext, email: str = "ann@example.com", tier: str = "starter") -> str:
    with transaction(ctx.sessions) as session:
        return issue_key(session, email, tier)


def _lease(ctx: AppContext, conversion_id: str) -> tuple[queue.Lease, Any]:
    """Claim convert jobs until this conversion's is leased (others stay running)."""
    with transaction(ctx.sessions) as session:
        job_id = session.scalar(select(Conversion.job_id).where(Conversion.id == conversion_id))
        while True:
            lease = queue.claim(session, "test-worker", 60, ["convert"])
            assert lease is not None, "the conversion's job is not queued"
            if lease.job_id == job_id:
                job = session.get(Job, job_id)
                return lease, assign(session, job, lease.attempt, lease.version)


def start(ctx: AppContext, conversion_id: str) -> queue.Lease:
    return _lease(ctx, conversion_id)[0]


def finish(
    ctx: AppContext,
    conversion_id: str,
    tmp: Path,
    *,
    report: dict[str, Any] | None = None,
    files: dict[str, bytes] | None = None,
    lease: queue.Lease | None = None,
) -> dict[str, bytes]:
    """The worker's ``done``: its files stored under the attempt's prefix, then reported.
    Returns what was stored, by asset name."""
    if lease is None:
        lease, assignment = _lease(ctx, conversion_id)
        prefix = assignment.output_prefix
    else:
        prefix = f"conversions/{conversion_id}/attempt-{lease.attempt}"
    stored = files or {
        "asset": b"PK\x03\x04 fake usdz",
        "report": b'{"health_score": 87}',
        "report_pdf": b"%PDF-1.4 fake report",
        "thumbnail": b"\x89PNG fake",
        "files/textures/base.png": b"\x89PNG texture",
    }
    names = {"asset": "model.usdz", "report": "health_report.json"}
    assets = {}
    for name, data in stored.items():
        path = tmp / name.replace("/", "_")
        path.write_bytes(data)
        key = f"{prefix}/{names.get(name, name.replace('files/', ''))}"
        assets[name] = Asset(key=key, content_type="application/octet-stream", size=len(data))
        ctx.store.put_file(key, path)
    event = JobEvent(
        job_id=lease.job_id,
        lease_version=lease.version,
        kind="done",
        assets=assets,
        result=REPORT if report is None else report,
    )
    with transaction(ctx.sessions) as session:
        assert apply_report(session, lease, event, CONVERT_HOOKS)
    return stored


def fail(ctx: AppContext, conversion_id: str, message: str) -> None:
    lease = start(ctx, conversion_id)
    event = JobEvent(
        job_id=lease.job_id, lease_version=lease.version, kind="error", message=message
    )
    with transaction(ctx.sessions) as session:
        assert apply_report(session, lease, event, CONVERT_HOOKS)

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


def claim(ctx: AppContext, asset_id: str) -> tuple[queue.Lease, Any, str]:
    """A runner takes the asset's job: its lease, assignment and kind."""
    return _lease(ctx, asset_id)


def store_output(ctx: AppContext, assignment: Any, name: str, data: bytes, tmp: Path) -> Asset:
    """A file the worker stored under the attempt's prefix, as its event names it."""
    key = f"{assignment.output_prefix}/{name}"
    path = tmp / name.replace("/", "_")
    path.write_bytes(data)
    ctx.store.put_file(key, path)
    return Asset(key=key, content_type="application/octet-stream", size=len(data))


def start(ctx: AppContext, asset_id: str, phase: str = "preprocess") -> tuple[queue.Lease, str]:
    lease, _, kind = _lease(ctx, asset_id)
    _report(ctx, lease, kind, kind="progress", phase=phase)
    return lease, kind


def progress(
    ctx: AppContext,
    lease: queue.Lease,
    kind: str,
    phase: str,
    assets: dict[str, Asset] | None = None,
) -> None:
    _report(ctx, lease, kind, kind="progress", phase=phase, assets=assets or {})


def finish(
    ctx: AppContext, asset_id: str, files: dict[str, bytes], result: dict[str, Any], tmp: Path
) -> None:
    """The worker's ``done``: ``files`` (by asset name) stored under the attempt's prefix."""
    lease, assignment, kind = _lease(ctx, asset_id)
    assets = {name: store_output(ctx, assignment, name, data, tmp) for name, data in files.items()}
    _report(ctx, lease, kind, kind="done", assets=assets, result=result)


def fail(ctx: AppContext, asset_id: str, message: str) -> None:
    lease, _, kind = _lease(ctx, asset_id)
    _report(ctx, lease, kind, kind="error", message=message)


MAIN_LAYER = b"""#usda 1.0
(
    defaultPrim = "Crate"
    metersPerUnit = 1
    upAxis = "Z"
)

def Xform "Crate"
{
    def "Body" (
        prepend references = @./parts/body.usda@</Body>
    )
    {
    }
}
"""


def _body_layer() -> bytes:
    """A 0.4 m cube (12 triangles, UVs) whose preview material reads ``./albedo.png``."""
    corners = [(x, y, z) for x in (-0.2, 0.2) for y in (-0.2, 0.2) for z in (0.0, 0.4)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = [i for a, b, c, d in quads for i in (a, b, c, a, c, d)]
    points = ", ".join(f"({x}, {y}, {z})" for x, y, z in corners)
    st = ", ".join(f"({x + 0.2:.1f}, {z:.1f})" for x, _, z in corners)
    return f"""#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Z"
)

def Mesh "Body" (
    prepend apiSchemas = ["MaterialBindingAPI"]
)
{{
    int[] faceVertexCounts = [{", ".join("3" * 12)}]
    int[] faceVertexIndices = [{", ".join(map(str, faces))}]
    point3f[] points = [{points}]
    texCoord2f[] primvars:st = [{st}] (interpolation = "vertex")
    rel material:binding = </Body/Wood>

    def Material "Wood"
    {{
        token outputs:surface.connect = </Body/Wood/Surface.outputs:surface>

        def Shader "Surface"
        {{
            uniform token info:id = "UsdPreviewSurface"
            color3f inputs:diffuseColor.connect = </Body/Wood/Albedo.outputs:rgb>
            float inputs:roughness = 0.8
            token outputs:surface
        }}

        def Shader "Albedo"
        {{
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @./albedo.png@
            float2 inputs:st.connect = </Body/Wood/Reader.outputs:result>
            float3 outputs:rgb
        }}

        def Shader "Reader"
        {{
            uniform token info:id = "UsdPrimvarReader_float2"
            string inputs:varname = "st"
            float2 outputs:result
        }}
    }}
}}
""".encode()


def usd_zip(extra: dict[str, bytes] | None = None) -> bytes:
    """A ZIP of a USD layer that references another layer, which reads a texture: what
    Rigyd's ZIP packaging calls ``*.usd[a]`` + every file referenced via ``@./...@``."""
    import io
    import zipfile

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (16, 16), (150, 100, 60)).save(png, "PNG")
    entries = {
        "crate/crate.usda": MAIN_LAYER,
        "crate/parts/body.usda": _body_layer(),
        "crate/parts/albedo.png": png.getvalue(),
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()

"""A conversion through the whole farm: the API, the dispatcher, a real CPU worker process
converting the upload, the report, the download and the signed webhook."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from test_refinery_support import BASE, new_key
from test_webhooks import documented_verify, receiver  # noqa: F401 - the receiver fixture

from broker.context import AppContext
from broker.dialects.refinery.views import webhook_body

ASSETS = Path(__file__).resolve().parents[1] / "assets"
pytestmark = pytest.mark.slow


@pytest.fixture
def farm_ctx(tmp_path: Path) -> Iterator[AppContext]:
    with farm_context(tmp_path, webhook_allow_private=True, webhook_poll_seconds=0.1) as ctx:
        yield ctx


@pytest.fixture
def farm(farm_ctx: AppContext) -> Iterator[TestClient]:
    with farm_client(farm_ctx, render_workers=0, webhook_body=webhook_body) as client:
        yield client


def test_an_stl_becomes_a_usdz_with_its_report_bundle_and_webhook(farm, farm_ctx, receiver):  # noqa: F811
    key = new_key(farm_ctx)
    headers = {"X-API-Key": key}
    with (ASSETS / "test_sphere_ascii.stl").open("rb") as fh:
        accepted = farm.post(
            f"{BASE}/convert",
            headers=headers,
            files={"file": ("sphere.stl", fh, "model/stl")},
            data={"export_format": "usdz", "webhook_url": receiver.url},
        )
    assert accepted.status_code == 200, accepted.text
    job_id = accepted.json()["job_id"]
    deadline = time.monotonic() + 300
    while True:
        status = farm.get(f"{BASE}/status/{job_id}", headers=headers).json()
        if status["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.25)
    assert status["status"] == "completed", status
    assert isinstance(status["health_score"], int) and 0 <= status["health_score"] <= 100
    assert set(status["engine_readiness"]) == {"unreal", "houdini", "apple_ar", "web_threejs"}
    report = farm.get(f"{BASE}/health/{job_id}", headers=headers).json()
    assert report["health_score"] == status["health_score"]
    for field in ("fixes_applied", "lod_variants", "collision_meshes_generated", "geometry"):
        assert field in report, field
    pdf = farm.get(f"{BASE}/health/{job_id}?format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bundle = zipfile.ZipFile(
        io.BytesIO(farm.get(f"{BASE}/download/{job_id}", headers=headers).content)
    )
    names = set(bundle.namelist())
    assert {"sphere.usdz", "health_report.json", "metadata.json"} <= names
    assert bundle.read("sphere.usdz")[:2] == b"PK"  # a USDZ is a ZIP
    meta = json.loads(bundle.read("metadata.json"))
    assert meta["source"]["format"] == "stl"
    assert meta["validators"]["arkit"]["result"] in ("pass", "warn", "fail")
    deadline = time.monotonic() + 30
    while not receiver.got and time.monotonic() < deadline:
        time.sleep(0.1)
    ((hook_headers, body),) = receiver.got
    assert documented_verify()(key, hook_headers["x-meshfarm-signature"], body)
    assert json.loads(body) == {
        "job_id": job_id,
        "status": "completed",
        "health_score": status["health_score"],
        "download_url": f"/api/v1/download/{job_id}",
    }

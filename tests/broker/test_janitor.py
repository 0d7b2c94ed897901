"""The janitor removes what kill -9 leaves behind, and nothing that a row references or that
is still being written."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from broker.db.engine import transaction
from broker.db.models import Conversion, Render, SimReadyAsset
from broker.janitor import Janitor, sweep
from broker.jobs.machine import Guard, move
from broker.jobs.states import JobState
from broker.services import conversions, simready
from testdata import ASSETS

HOUR = 3600.0


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _put(ctx, key: str, tmp_path: Path, age: float = 2 * HOUR) -> str:
    src = tmp_path / "payload"
    src.write_bytes(b"debris")
    ctx.store.put_file(key, src)
    local = ctx.store.local_path(key)
    assert local is not None
    _age(local, age)
    return key


def _objects(ctx) -> set[str]:
    prefixes = ("models", "overlays", "renders", "conversions", "simready")
    return {o.key for p in prefixes for o in ctx.store.list_objects(p)}


def test_staging_files_of_dead_uploads_and_killed_workers_are_removed(ctx):
    tmp = ctx.settings.tmp_dir
    dead_upload, dead_ingest = tmp / "upload-k9x", tmp / "ingest-3j2"
    dead_job, busy_job, zip_dir = tmp / "job-abc", tmp / "job-busy", tmp / "zip-q1"
    for path in (dead_upload, dead_ingest):
        path.write_bytes(b"half an upload")
    for folder in (dead_job / "out", busy_job / "out", zip_dir):
        folder.mkdir(parents=True)
    (dead_job / "out" / "video.mp4").write_bytes(b"frames")
    (busy_job / "out" / "video.mp4").write_bytes(b"still growing")
    (zip_dir / "scan.obj").write_bytes(b"v 0 0 0")
    for path in (dead_upload, dead_ingest, dead_job / "out" / "video.mp4", dead_job / "out"):
        _age(path, 2 * HOUR)
    for path in (dead_job, busy_job / "out", busy_job, zip_dir / "scan.obj", zip_dir):
        _age(path, 2 * HOUR)
    live_upload = tmp / "upload-now"
    live_upload.write_bytes(b"arriving")

    swept = sweep(ctx, grace_s=HOUR)

    assert sorted(swept.staging) == ["ingest-3j2", "job-abc", "upload-k9x", "zip-q1"]
    assert sorted(p.name for p in tmp.iterdir()) == ["job-busy", "upload-now"]
    assert (busy_job / "out" / "video.mp4").read_bytes() == b"still growing"


def test_stored_files_no_row_references_are_removed(ctx, client, user, upload, tmp_path):
    model_id = upload(user, ASSETS / "BoxTextured.glb").json()["data"]["modelId"]
    stored = f"models/{model_id}/original.glb"
    _age(ctx.store.local_path(stored), 2 * HOUR)  # old, but its row references it
    orphan_model = _put(ctx, "models/NoRowForMe01/original.glb", tmp_path)
    partial_put = _put(ctx, f"models/{model_id}/.put-h2k4_x", tmp_path)
    orphan_overlay = _put(ctx, "overlays/NoRowForMe02/image.png", tmp_path)
    young_orphan = _put(ctx, "models/StillCommit1/original.glb", tmp_path, age=60)

    swept = sweep(ctx, grace_s=HOUR)

    assert sorted(swept.objects["models"]) == sorted([orphan_model, partial_put])
    assert swept.objects["overlays"] == [orphan_overlay]
    assert _objects(ctx) == {stored, young_orphan}
    res = client.get(f"/v1/models/{model_id}/file", headers=user.headers)
    assert res.status_code == 200 and res.content == (ASSETS / "BoxTextured.glb").read_bytes()


def test_earlier_attempts_of_a_finished_render_are_removed(ctx, client, user, upload, tmp_path):
    data = upload(user, ASSETS / "BoxTextured.glb").json()["data"]
    failed = data["renderId"]
    with ctx.sessions() as session:  # the free preview, still pending
        running = session.scalars(
            select(Render.id).where(Render.model_id == data["modelId"], Render.id != failed)
        ).one()
    poster = f"renders/{failed}/attempt-2/poster.png"
    asset = {"key": poster, "content_type": "image/png", "size": 6}
    with transaction(ctx.sessions) as session:
        render = session.get(Render, failed)
        render.assets = {"poster": asset}
        assert move(session, render.job_id, JobState.FAILED, Guard((JobState.QUEUED,)), by="t")
    debris = [
        _put(ctx, f"renders/{failed}/attempt-1/video.mp4", tmp_path),
        _put(ctx, f"renders/{failed}/attempt-1/poster.png", tmp_path),
        _put(ctx, f"renders/{failed}/attempt-2/partial.mp4", tmp_path),
        _put(ctx, "renders/DeletedRow01/attempt-1/video.mp4", tmp_path),
    ]
    kept = [
        _put(ctx, poster, tmp_path),
        _put(ctx, f"renders/{running}/attempt-1/poster.png", tmp_path),  # still in progress
    ]

    swept = sweep(ctx, grace_s=HOUR)

    assert sorted(swept.objects["renders"]) == sorted(debris)
    assert {k for k in _objects(ctx) if k.startswith("renders/")} == set(kept)
    res = client.get(f"/v1/renders/{failed}", headers=user.headers)
    assert res.status_code == 200 and res.json()["data"]["status"] == "error"


def test_the_janitor_sweeps_on_start_and_then_periodically(ctx, tmp_path):
    first = _put(ctx, "models/NoRowForMe03/original.glb", tmp_path)
    janitor = Janitor(ctx, grace_s=HOUR, interval_s=0.2)
    janitor.start()
    try:
        deadline = time.monotonic() + 10
        while janitor.sweeps < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first not in _objects(ctx)
        later = _put(ctx, "renders/NoRowForMe04/attempt-1/video.mp4", tmp_path)
        seen = janitor.sweeps
        while janitor.sweeps < seen + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert later not in _objects(ctx)
    finally:
        janitor.stop()


@pytest.mark.slow
def test_serve_sweeps_on_start(tmp_path, db_url):
    """Debris of a broker that was killed an hour ago is gone once ``serve`` is back."""
    data = tmp_path / "data"
    (data / "tmp").mkdir(parents=True)
    dead = data / "tmp" / "upload-killed"
    dead.write_bytes(b"half")
    orphan = data / "objects" / "models" / "NoRowForMe05" / "original.glb"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"glTF")
    for path in (dead, orphan):
        _age(path, 2 * HOUR)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "MESHFARM_DATA_DIR": str(data),
        "MESHFARM_DATABASE_URL": db_url,
        "MESHFARM_WORKERS": "0",
    }
    exe = Path(sys.executable).parent / "meshfarm"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while dead.exists() or orphan.exists():
            assert time.monotonic() < deadline, "serve did not sweep on start"
            assert proc.poll() is None, "serve exited"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_conversion_keeps_its_source_and_outputs_and_loses_its_debris(ctx, user, tmp_path):
    staged = tmp_path / "chair.stl"
    staged.write_bytes((ASSETS / "teapot_binary.stl").read_bytes())
    upload = conversions.Upload(staged, "chair.stl", staged.stat().st_size)
    done = conversions.submit(ctx, user.account_id, None, upload, conversions.ConversionOrder())
    running = conversions.submit(ctx, user.account_id, None, upload, conversions.ConversionOrder())
    output = f"conversions/{done.id}/attempt-2/model.usdz"
    with transaction(ctx.sessions) as session:
        row = session.get(Conversion, done.id)
        row.assets = {"asset": {"key": output, "content_type": "model/vnd.usdz+zip", "size": 6}}
        assert move(session, row.job_id, JobState.RUNNING, Guard((JobState.QUEUED,)), by="t")
        assert move(session, row.job_id, JobState.SUCCEEDED, Guard((JobState.RUNNING,)), by="t")
    for key in (done.source_key, running.source_key):
        _age(ctx.store.local_path(key), 2 * HOUR)
    debris = [
        _put(ctx, f"conversions/{done.id}/attempt-1/model.usdz", tmp_path),
        _put(ctx, "conversions/no-row-for-me/source/x.stl", tmp_path),
    ]
    kept = [
        _put(ctx, output, tmp_path),
        _put(ctx, f"conversions/{running.id}/attempt-1/model.usdz", tmp_path),  # in progress
    ]

    swept = sweep(ctx, grace_s=HOUR)

    assert sorted(swept.objects["conversions"]) == sorted(debris)
    left = {k for k in _objects(ctx) if k.startswith("conversions/")}
    assert left == {done.source_key, running.source_key, *kept}


def test_a_simready_asset_keeps_its_upload_outputs_and_images(ctx, user, tmp_path):
    staged = tmp_path / "duck.glb"
    staged.write_bytes((ASSETS / "Duck.glb").read_bytes())
    upload = conversions.Upload(staged, "duck.glb", staged.stat().st_size)
    done = simready.submit(ctx, user.account_id, None, upload, simready.BuildOrder())
    running = simready.submit(ctx, user.account_id, None, upload, simready.BuildOrder())
    output = f"simready/{done.id}/attempt-1/usd/duck.usd"
    with transaction(ctx.sessions) as session:
        row = session.get(SimReadyAsset, done.id)
        row.assets = {"model": {"key": output, "content_type": "model/vnd.pixar.usd", "size": 6}}
        assert move(session, row.job_id, JobState.RUNNING, Guard((JobState.QUEUED,)), by="t")
        assert move(session, row.job_id, JobState.FAILED, Guard((JobState.RUNNING,)), by="t")
    for key in (done.source_key, running.source_key):
        _age(ctx.store.local_path(key), 2 * HOUR)
    debris = [
        _put(ctx, f"simready/{done.id}/attempt-2/usd/duck.usd", tmp_path),
        _put(ctx, "simready/no-row-for-me/source/x.glb", tmp_path),
    ]
    kept = [
        _put(ctx, output, tmp_path),
        _put(ctx, f"simready/{running.id}/attempt-1/usd/duck.usd", tmp_path),  # in progress
    ]

    swept = sweep(ctx, grace_s=HOUR)

    assert sorted(swept.objects["simready"]) == sorted(debris)
    left = {k for k in _objects(ctx) if k.startswith("simready/")}
    assert left == {done.source_key, running.source_key, *kept}

"""Pipeline benchmark: upload → done for a share render, and the 4-variant batch ratio.

Runs the real broker app, dispatcher and one local worker process on a temporary data dir
(SQLite + local object store), exactly as `make run` does, and prints:

- wall time from upload to `done` for a share render, split into render / encode / upload
  as the worker measured them;
- the wall time of one render against a batch of 4 variants of the same model
  (differing only in background colour), and their ratio.

    .venv/bin/python bench/pipeline_bench.py [MODEL.glb]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.migrate import upgrade
from broker.db.models import Render
from broker.dispatcher import Dispatcher
from broker.services import accounts
from workers.config import Settings
from workers.jobs import JobEvent
from workers.local_executor import LocalExecutor

DEFAULT_MODEL = Path(__file__).resolve().parents[1].parent / "shared/assets/glb/DamagedHelmet.glb"


class TimedDispatcher(Dispatcher):
    """Keeps the timings each worker reports with its `done` event."""

    timings: dict[str, dict[str, float]]

    def _record(self, event: JobEvent) -> None:
        if event.kind == "done":
            self.timings[event.job_id] = event.timings
        super()._record(event)


def wait(client: TestClient, headers: dict[str, str], ids: list[str]) -> None:
    while True:
        statuses = [client.get(f"/v1/renders/{i}", headers=headers).json()["data"] for i in ids]
        if all(s["status"] in ("done", "error") for s in statuses):
            errors = [s["errorMessage"] for s in statuses if s["status"] == "error"]
            if errors:
                raise SystemExit(f"render failed: {errors}")
            return
        time.sleep(0.05)


def main() -> None:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_MODEL
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url, _env_file=None)  # type: ignore[call-arg]
        ctx = AppContext.from_settings(settings)
        with transaction(ctx.sessions) as session:
            account = accounts.create_account(session, "bench@example.com", initial_credits=100)
            headers = {"Authorization": f"Bearer {accounts.issue_token(session, account).token}"}
        dispatcher = TimedDispatcher(ctx, LocalExecutor(settings, workers=1), poll_seconds=0.05)
        dispatcher.timings = {}
        dispatcher.start()
        time.sleep(10)  # a running farm's workers are warm: let them finish warming up
        try:
            with TestClient(create_app(ctx)) as client:
                run(client, headers, model, dispatcher)
        finally:
            dispatcher.stop()
            ctx.close()


def run(client: TestClient, headers: dict[str, str], model: Path, d: TimedDispatcher) -> None:
    started = time.monotonic()
    with model.open("rb") as fh:
        body: dict[str, Any] = client.post(
            "/v1/models",
            headers=headers,
            files={"file": (model.name, fh)},
            data={"renderSettings": '{"quality": "share"}'},
        ).json()["data"]
    uploaded = time.monotonic() - started
    wait(client, headers, [body["renderId"]])
    end_to_end = time.monotonic() - started
    with transaction(d.ctx.sessions) as session:
        job_id = session.scalar(select(Render.job_id).where(Render.id == body["renderId"]))
        preview_job = session.scalar(
            select(Render.job_id).where(
                Render.model_id == body["modelId"], Render.is_system_preview.is_(True)
            )
        )
    print(f"model: {model.name}; load average {os.getloadavg()[0]:.2f} before the run")
    print(
        f"upload → done (share, 6 s, 180 frames, incl. the free preview rendered first): "
        f"{end_to_end:.1f} s (the upload request itself {uploaded:.2f} s)"
    )
    for label, key in (("free preview job", str(preview_job)), ("share render job", str(job_id))):
        t = d.timings.get(key, {})
        print(
            f"  {label}: load {t.get('load', 0):.2f} s, render {t.get('render', 0):.1f} s, "
            f"encode (beyond render) {t.get('encode', 0):.1f} s, upload {t.get('upload', 0):.2f} s"
        )

    started = time.monotonic()
    one = client.post("/v1/renders", headers=headers, json={"modelId": body["modelId"]})
    wait(client, headers, [one.json()["data"]["id"]])
    single = time.monotonic() - started

    started = time.monotonic()
    colours = ["#ffffff", "#000000", "#336699", "#ff8800"]
    batch = client.post(
        "/v1/renders/batch",
        headers=headers,
        json={
            "renders": [
                {"modelId": body["modelId"], "renderSettings": {"bgColor": c}} for c in colours
            ]
        },
    ).json()["data"]
    wait(client, headers, [r["id"] for r in batch])
    four = time.monotonic() - started
    print(
        f"one share render: {single:.1f} s; batch of 4 variants (bgColor): {four:.1f} s; "
        f"ratio {four / single:.2f}× (goal ≤ 1.3×); load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

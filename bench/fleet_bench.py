"""Fleet benchmark on a local Ray cluster: throughput of 20 small renders with 1 vs 2
actors, and the dispatch overhead per job (DB claim + Ray submit → the actor's first event).

    RAY_AUTH_MODE=disabled .venv/bin/python bench/fleet_bench.py

Each render is BoxTextured.glb, share tier, 3 s (90 frames). Renders are created one per
request (not as a batch) so that they are not grouped into shared-frame renders.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.migrate import upgrade
from broker.dispatcher import Dispatcher
from broker.services import accounts
from workers.config import Settings
from workers.jobs import Assignment, JobEvent

MODEL = Path(__file__).resolve().parents[1] / "tests/assets/BoxTextured.glb"
JOBS = 20


class TimedDispatcher(Dispatcher):
    """Notes when each job is handed to Ray and when its actor first reports."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.submitted: dict[str, float] = {}
        self.first_event: dict[str, float] = {}
        submit = self.executor.submit

        def timed_submit(assignment: Assignment) -> None:
            self.submitted[assignment.job_id] = time.monotonic()
            submit(assignment)

        self.executor.submit = timed_submit  # type: ignore[method-assign]

    def _record(self, event: JobEvent) -> None:
        self.first_event.setdefault(event.job_id, time.monotonic())
        super()._record(event)


def run(actors: int) -> tuple[float, list[float]]:
    import ray

    from workers.ray_executor import RayExecutor

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url, _env_file=None)  # type: ignore[call-arg]
        ctx = AppContext.from_settings(settings)
        with transaction(ctx.sessions) as session:
            account = accounts.create_account(session, "b@example.com", initial_credits=1000)
            headers = {"Authorization": f"Bearer {accounts.issue_token(session, account).token}"}
        executor = RayExecutor(settings, use_gpus=False, cpu_workers=actors, pool=f"bench{actors}")
        # warm every actor (EGL context, IBL) before timing
        ray.get([s.actor.info.remote() for s in executor._slots])
        dispatcher = TimedDispatcher(ctx, executor, poll_seconds=0.05)
        with TestClient(create_app(ctx)) as client:
            with MODEL.open("rb") as fh:
                model_id = client.post(
                    "/v1/models",
                    headers=headers,
                    files={"file": ("box.glb", fh)},
                    data={"renderSettings": '{"length": 3}'},
                ).json()["data"]["modelId"]
            ids = [
                client.post(
                    "/v1/renders",
                    headers=headers,
                    json={"modelId": model_id, "renderSettings": {"length": 3, "rotateY": i}},
                ).json()["data"]["id"]
                for i in range(JOBS - 2)
            ]
            started = time.monotonic()
            dispatcher.start()
            while True:
                statuses = [
                    client.get(f"/v1/renders/{i}", headers=headers).json()["data"]["status"]
                    for i in ids
                ]
                if all(s in ("done", "error") for s in statuses):
                    break
                time.sleep(0.2)
            elapsed = time.monotonic() - started
        dispatcher.stop()
        ctx.close()
        overheads = [
            dispatcher.first_event[j] - t
            for j, t in dispatcher.submitted.items()
            if j in dispatcher.first_event
        ]
        return JOBS / elapsed * 60, overheads


def main() -> None:
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    results = {n: run(n) for n in (1, 2)}
    for n, (throughput, overheads) in results.items():
        print(
            f"{n} actor(s): {throughput:.1f} jobs/min for {JOBS} small renders "
            f"(incl. the upload's preview and render); submit → first event: median "
            f"{statistics.median(overheads) * 1000:.0f} ms, max {max(overheads) * 1000:.0f} ms"
        )
    print(f"2 vs 1 actors: {results[2][0] / results[1][0]:.2f}× on {os.cpu_count()} CPU cores")
    ray.shutdown()


if __name__ == "__main__":
    main()

"""A pool worker played by a thread, for tests of services that wait on jobs: it claims
queued jobs of one kind, takes their assignment from the kind's hooks, and reports them
done with the outputs a subclass stores (or failed) — through the real job engine."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job
from broker.jobs import queue
from broker.jobs.kinds import KindHooks
from broker.jobs.reports import apply_report
from workers.jobs import Asset, JobEvent


class FakePool:
    """``runs`` lists the jobs it ran; ``delay`` holds each one; ``failing`` fails them."""

    kind: str
    hooks: KindHooks
    failure: str = "the job failed"

    def __init__(self, ctx: AppContext, tmp: Path) -> None:
        self.ctx, self.tmp = ctx, tmp
        self.runs: list[str] = []
        self.delay = 0.0
        self.failing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> FakePool:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def outputs(
        self, lease: queue.Lease, prefix: str
    ) -> tuple[dict[str, Asset], dict[str, object]]:
        """The stored outputs of a successful run and the event's other fields."""
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            with transaction(self.ctx.sessions) as session:
                lease = queue.claim(session, f"fake-{self.kind}", 60, [self.kind])
                if lease is not None:
                    job = session.get(Job, lease.job_id)
                    assert job is not None
                    prefix = self.hooks.assign(session, job, lease.attempt, lease.version)
            if lease is None:
                time.sleep(0.02)
                continue
            self.runs.append(lease.job_id)
            time.sleep(self.delay)
            self._report(lease, prefix.output_prefix)

    def _report(self, lease: queue.Lease, prefix: str) -> None:
        if self.failing:
            event = JobEvent(
                job_id=lease.job_id, lease_version=lease.version, kind="error", message=self.failure
            )
        else:
            assets, fields = self.outputs(lease, prefix)
            event = JobEvent(
                job_id=lease.job_id,
                lease_version=lease.version,
                kind="done",
                assets=assets,
                **fields,  # type: ignore[arg-type]
            )
        with transaction(self.ctx.sessions) as session:
            assert apply_report(session, lease, event, self.hooks)

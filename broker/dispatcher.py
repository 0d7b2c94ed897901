"""Moves jobs from the DB queue to an executor and records what the workers report.

Runs as one thread in the broker process. The DB stays the source of truth: a job is
claimed with a lease only when a slot is free, the lease is renewed while it runs, and a
job whose worker died has its lease expired at once so that it is retried (or fails after
its last attempt, with its credits refunded once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from broker import queue
from broker.batching import MAX_GROUP, frame_key
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job, Model, Overlay, Render
from broker.fleet import is_draining
from broker.metrics import (
    ENCODE_SECONDS,
    JOBS_FINISHED,
    JOBS_LOST,
    JOBS_STARTED,
    RENDER_SECONDS,
)
from broker.transitions import apply_event
from workers.environments import BUILTIN_ENVIRONMENTS
from workers.executor import Executor
from workers.jobs import JobEvent, JobSpec, output_prefix

log = logging.getLogger("meshfarm.dispatcher")


class Dispatcher:
    def __init__(self, ctx: AppContext, executor: Executor, *, poll_seconds: float = 0.2):
        self.ctx = ctx
        self.executor = executor
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases: dict[str, queue.Lease] = {}
        self._last_renewal = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round -------------------------------------------------------------------
    def run_once(self) -> None:
        lease_seconds = self.ctx.settings.lease_seconds
        with transaction(self.ctx.sessions) as session:
            queue.requeue_expired(session)
        for job_id in self.executor.lost_jobs():
            self._expire(job_id)
        with transaction(self.ctx.sessions) as session:
            draining = is_draining(session)
        while not draining and self.executor.free_slots() > 0:
            with transaction(self.ctx.sessions) as session:
                lease = queue.claim(session, self.owner, lease_seconds)
                if lease is None:
                    break
                siblings = queue.claim_siblings(
                    session, lease, self.owner, lease_seconds, frame_key, MAX_GROUP - 1
                )
                specs = [self._spec(session, x) for x in (lease, *siblings)]
            runnable = [s for s in specs if s is not None]
            if not runnable:
                continue
            for leased in (lease, *siblings):
                if any(s.job_id == leased.job_id for s in runnable):
                    self.leases[leased.job_id] = leased
                    JOBS_STARTED.labels(leased.kind).inc()
                    log.info(
                        "render %s started (%s job %s, attempt %d)",
                        leased.render_id,
                        leased.kind,
                        leased.job_id,
                        leased.attempt,
                    )
            self.executor.submit(runnable[0].model_copy(update={"variants": runnable[1:]}))
        for event in self.executor.poll(self.poll_seconds):
            self._record(event)
        if time.monotonic() - self._last_renewal > lease_seconds / 3:
            self._renew(lease_seconds)

    def _spec(self, session: Session, lease: queue.Lease) -> JobSpec | None:
        render = session.get(Render, lease.render_id)
        model = session.get(Model, render.model_id) if render else None
        if render is None or model is None:
            queue.finish(session, lease)
            return None
        overlay_id = render.settings.get("bgImageId")
        overlay = session.get(Overlay, overlay_id) if overlay_id else None
        environment_id = render.settings.get("environment")
        environment = (
            session.get(Overlay, environment_id)
            if environment_id and environment_id not in BUILTIN_ENVIRONMENTS
            else None
        )
        return JobSpec(
            job_id=lease.job_id,
            render_id=render.id,
            kind=lease.kind,
            attempt=lease.attempt,
            lease_version=lease.version,
            model_key=model.storage_key,
            model_format=model.file_format,
            settings=dict(render.settings),
            output_prefix=output_prefix(render.id, lease.attempt),
            bg_image_key=overlay.storage_key if overlay else None,
            environment_key=environment.storage_key if environment else None,
        )

    def _record(self, event: JobEvent) -> None:
        lease = self.leases.get(event.job_id)
        if lease is None:
            return
        with transaction(self.ctx.sessions) as session:
            applied = apply_event(session, lease, event)
        if event.kind in ("done", "error"):
            self.leases.pop(event.job_id, None)
            JOBS_FINISHED.labels(lease.kind, event.kind).inc()
            if "render" in event.timings:
                RENDER_SECONDS.labels(lease.kind).observe(event.timings["render"])
            if "encode" in event.timings:
                ENCODE_SECONDS.labels(lease.kind).observe(event.timings["encode"])
            if applied and event.kind == "done":
                for attempt in range(1, lease.attempt):
                    self.ctx.store.delete_prefix(output_prefix(lease.render_id, attempt))
        if not applied:
            log.info("ignored %s event for job %s (lease lost)", event.kind, event.job_id)
        elif event.kind == "done":
            took = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(event.timings.items()))
            log.info("render %s finished (%s)", event.render_id, took or "no timings")
        elif event.kind == "error":
            log.warning(
                "render %s failed on attempt %d: %s",
                event.render_id,
                lease.attempt,
                event.message or "no message",
            )

    def _expire(self, job_id: str) -> None:
        lease = self.leases.pop(job_id, None)
        if lease is None:
            return
        log.warning("worker of job %s died; retrying it", job_id)
        JOBS_LOST.inc()
        with transaction(self.ctx.sessions) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.version == lease.version, Job.state == "leased")
                .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            queue.requeue_expired(session)

    def _renew(self, lease_seconds: int) -> None:
        self._last_renewal = time.monotonic()
        with transaction(self.ctx.sessions) as session:
            for job_id, lease in list(self.leases.items()):
                if not queue.renew(session, lease, lease_seconds):
                    self.leases.pop(job_id, None)

    # --- thread ----------------------------------------------------------------------
    def start(self) -> None:
        """Idempotent: the app's lifespan starts the dispatcher it was handed, perhaps one
        its owner started already, and two loops would race on the executor's events (a
        job's ``done`` drained by one loop while the other renews its lease forever)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("dispatcher round failed; retrying")
                time.sleep(1)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.executor.shutdown()

"""Moves jobs from the DB queue to an executor and records what the workers report.

Runs as one thread in the broker process. The DB stays the source of truth: a job is
claimed with a lease only when a slot is free, the lease is renewed while it runs, and a
job whose worker died has its lease expired at once so that it is retried (or fails after
its last attempt, with its credits refunded once). Each resource (GPU render slots,
CPU-heavy slots) is claimed for separately, so one kind of work never waits on the other.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from sqlalchemy.orm import Session

from broker import metrics
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Job
from broker.fleet import is_draining
from broker.jobs import queue
from broker.jobs.kinds import InputMissing, Kinds
from broker.jobs.machine import move
from broker.jobs.reports import apply_report
from broker.jobs.states import JobState
from broker.metrics import JOBS_LOST, JOBS_STARTED
from broker.services import convert_jobs, render_jobs, simready_jobs, view_jobs
from broker.services.render_jobs import MAX_GROUP
from workers.executor import Executor
from workers.jobs import Assignment, JobEvent
from workers.resources import RESOURCES, Resource
from workers.specs import KIND_RESOURCES

log = logging.getLogger("meshfarm.dispatcher")
KINDS: Kinds = {
    **render_jobs.KINDS,
    **convert_jobs.KINDS,
    **view_jobs.KINDS,
    **simready_jobs.KINDS,
}
"""Every job kind the broker runs, by ``Job.kind``."""


class Dispatcher:
    def __init__(
        self,
        ctx: AppContext,
        executor: Executor,
        *,
        poll_seconds: float = 0.2,
        kinds: Kinds = KINDS,
    ):
        self.ctx = ctx
        self.executor = executor
        self.poll_seconds = poll_seconds
        self.kinds = kinds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases: dict[str, queue.Lease] = {}
        self.subjects: dict[str, str] = {}
        """What the log calls each leased job ("render <id>")."""
        self.runs: dict[str, metrics.Run] = {}
        """How each leased job's end is counted on /metrics (its tier, when it started)."""
        self._last_renewal = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def _nouns(self) -> dict[str, str]:
        return {kind: hooks.noun for kind, hooks in self.kinds.items()}

    def _kinds_on(self, resource: Resource) -> list[str]:
        return [kind for kind in self.kinds if KIND_RESOURCES.get(kind) == resource]

    # --- one round -------------------------------------------------------------------
    def run_once(self) -> None:
        self._requeue_expired()
        for job_id in self.executor.lost_jobs():
            self._expire(job_id)
        with transaction(self.ctx.sessions) as session:
            draining = is_draining(session)
        for resource in RESOURCES if not draining else ():
            kinds = self._kinds_on(resource)
            while kinds and self.executor.free_slots(resource) > 0 and self._dispatch(kinds):
                pass
        for event in self.executor.poll(self.poll_seconds):
            self._record(event)
        if time.monotonic() - self._last_renewal > self.ctx.settings.lease_seconds / 3:
            self._renew(self.ctx.settings.lease_seconds)

    def _dispatch(self, kinds: list[str]) -> bool:
        """Claim one job of ``kinds`` (and the queued jobs that can share its run) and hand
        it to the executor; False when nothing is queued."""
        lease_seconds = self.ctx.settings.lease_seconds
        with transaction(self.ctx.sessions) as session:
            lease = queue.claim(session, self.owner, lease_seconds, kinds)
            if lease is None:
                return False
            hooks = self.kinds[lease.kind]
            siblings = queue.claim_siblings(
                session, lease, self.owner, lease_seconds, hooks.group_key, MAX_GROUP - 1
            )
            assignments = [self._assign(session, x) for x in (lease, *siblings)]
            runnable = [a for a in assignments if a is not None]
            for assignment in runnable:
                job = session.get(Job, assignment.job_id)
                if job is not None:
                    self.subjects[job.id] = hooks.subject(session, job)
                    tier = metrics.tier(job.kind, job.spec)
                    self.runs[job.id] = metrics.Run(job.kind, tier, shared_by=len(runnable))
        if runnable:
            for assignment in runnable:
                leased = next(x for x in (lease, *siblings) if x.job_id == assignment.job_id)
                self.leases[leased.job_id] = leased
                JOBS_STARTED.labels(leased.kind).inc()
                log.info(
                    "%s started (%s job %s, attempt %d)",
                    self.subjects.get(leased.job_id, leased.job_id),
                    leased.kind,
                    leased.job_id,
                    leased.attempt,
                )
            self.executor.submit(runnable[0].model_copy(update={"variants": runnable[1:]}))
        return True

    def _assign(self, session: Session, lease: queue.Lease) -> Assignment | None:
        """What the worker runs; a job whose input is gone fails at once (refunded)."""
        job = session.get(Job, lease.job_id)
        if job is None:
            return None
        try:
            return self.kinds[lease.kind].assign(session, job, lease.attempt, lease.version)
        except InputMissing as exc:
            if move(session, job.id, JobState.FAILED, lease.guard, by=self.owner, message=str(exc)):
                metrics.failed(session, job.kind, "input_missing")
            return None

    def _record(self, event: JobEvent) -> None:
        lease = self.leases.get(event.job_id)
        if lease is None:
            return
        hooks = self.kinds[lease.kind]
        with transaction(self.ctx.sessions) as session:
            applied = apply_report(session, lease, event, hooks)
            if applied and event.kind == "error":
                metrics.failed(session, lease.kind, event.cause or "internal")
            stale: list[str] = []
            if applied and event.kind == "done":
                job = session.get(Job, lease.job_id)
                if job is not None:
                    stale = [hooks.output_prefix(session, job, n) for n in range(1, lease.attempt)]
        subject = self.subjects.get(event.job_id, f"job {event.job_id}")
        if event.kind in ("done", "error"):
            self.leases.pop(event.job_id, None)
            self.subjects.pop(event.job_id, None)
            run = self.runs.pop(event.job_id, None)
            if applied and run is not None:
                run.ended(event)
            for prefix in stale:
                self.ctx.store.delete_prefix(prefix)
        if not applied:
            log.info("ignored %s event for job %s (lease lost)", event.kind, event.job_id)
        elif event.kind == "done":
            took = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(event.timings.items()))
            log.info("%s finished (%s)", subject, took or "no timings")
        elif event.kind == "error":
            log.warning(
                "%s failed on attempt %d: %s",
                subject,
                lease.attempt,
                event.message or "no message",
            )

    def _expire(self, job_id: str) -> None:
        lease = self.leases.pop(job_id, None)
        subject = self.subjects.pop(job_id, f"job {job_id}")
        if lease is None:
            return
        log.warning("the worker of %s (job %s) died; retrying it", subject, job_id)
        JOBS_LOST.inc()
        self.runs.pop(job_id, None)
        with transaction(self.ctx.sessions) as session:
            queue.expire(session, lease)
        self._requeue_expired()

    def _requeue_expired(self) -> None:
        """Expired leases go back to the queue; a job out of attempts fails, abandoned."""
        with transaction(self.ctx.sessions) as session:
            _, failed = queue.requeue_expired(session, self.owner, self._nouns)
            for job_id in failed:
                job = session.get(Job, job_id)
                if job is not None:
                    metrics.failed(session, job.kind, "abandoned")

    def _renew(self, lease_seconds: int) -> None:
        self._last_renewal = time.monotonic()
        with transaction(self.ctx.sessions) as session:
            for job_id, lease in list(self.leases.items()):
                if not queue.renew(session, lease, lease_seconds):
                    self.leases.pop(job_id, None)
                    self.runs.pop(job_id, None)

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

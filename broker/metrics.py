"""Prometheus metrics (docs/metrics.md): the queue from the DB at scrape time, the rest
counted by the dispatcher and the ledger as jobs start, finish, fail and are charged.

Counts that follow a database change (credits, failures) are held on the session and added
only when its transaction commits: a rolled-back charge charged nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from broker.context import AppContext
from broker.db.models import Job
from workers.jobs import FailureCause, JobEvent
from workers.specs import KIND_RESOURCES

REGISTRY = CollectorRegistry()
JOBS_STARTED = Counter(
    "meshfarm_jobs_started", "Jobs handed to a worker", ["kind"], registry=REGISTRY
)
JOBS_FINISHED = Counter(
    "meshfarm_jobs_finished", "Jobs that ended, by outcome", ["kind", "outcome"], registry=REGISTRY
)
JOBS_LOST = Counter("meshfarm_jobs_lost", "Jobs whose worker died", registry=REGISTRY)
JOB_FAILURES = Counter(
    "meshfarm_job_failures",
    "Jobs that failed, by cause (workers.jobs.FailureCause)",
    ["kind", "cause"],
    registry=REGISTRY,
)
CREDITS_CHARGED = Counter(
    "meshfarm_credits_charged",
    "Credits taken when jobs were accepted",
    ["kind"],
    registry=REGISTRY,
)
CREDITS_REFUNDED = Counter(
    "meshfarm_credits_refunded",
    "Credits given back for failed jobs",
    ["kind"],
    registry=REGISTRY,
)
FRAMES_RENDERED = Counter(
    "meshfarm_frames_rendered",
    "Frames drawn by the renderer (a same-model batch's shared frames once)",
    ["kind"],
    registry=REGISTRY,
)
FRAMES_ENCODED = Counter(
    "meshfarm_frames_encoded",
    "Frames written into main video files",
    ["kind"],
    registry=REGISTRY,
)
SECONDS_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
JOB_SECONDS = Histogram(
    "meshfarm_job_duration_seconds",
    "Seconds from a worker taking a job to its outputs being recorded, jobs that succeeded",
    ["kind", "tier"],
    buckets=(*SECONDS_BUCKETS, 3600, 7200),
    registry=REGISTRY,
)
RENDER_SECONDS = Histogram(
    "meshfarm_render_seconds",
    "Time spent rendering frames per job",
    ["kind"],
    buckets=SECONDS_BUCKETS,
    registry=REGISTRY,
)
ENCODE_SECONDS = Histogram(
    "meshfarm_encode_seconds",
    "Time spent encoding beyond rendering per job",
    ["kind"],
    buckets=SECONDS_BUCKETS,
    registry=REGISTRY,
)
_PENDING = "meshfarm_metrics_pending"


def tier(kind: str, spec: Mapping[str, Any]) -> str:
    """The ``tier`` label of a job: what it was sold as. Free previews apart from the
    share tier they are cut from (half its size, 3 s), a SimReady build by its job type,
    a conversion by its target; kinds with no tier (views, simulations) are ``none``."""
    if kind == "render":
        return "preview" if spec.get("preview") else str(spec.get("tier", "share"))
    key = {"dataset": "tier", "simready": "job_type", "convert": "target"}.get(kind)
    return str(spec.get(key, "none")) if key else "none"


def count_on_commit(session: Session, counter: Counter, labels: tuple[str, ...], n: float) -> None:
    """Add ``n`` to ``counter`` once ``session``'s transaction commits (never on rollback)."""
    session.info.setdefault(_PENDING, []).append((counter, labels, n))


def failed(session: Session, kind: str, cause: FailureCause) -> None:
    """The move of a ``kind`` job to failed, in ``session``, was for ``cause``."""
    count_on_commit(session, JOB_FAILURES, (kind, cause), 1)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels, n in session.info.pop(_PENDING, ()):
        counter.labels(*labels).inc(n)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """The session's own transaction ended without a commit (rolled back, or closed): what
    it would have counted did not happen. A savepoint's end (``parent`` set) is no end."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass
class Run:
    """One job on a worker, as the dispatcher handed it out: what its end is counted as."""

    kind: str
    tier: str
    shared_by: int = 1
    """Jobs of a same-model batch that share this job's frames (rendered once for all)."""
    started: float = field(default_factory=time.monotonic)

    def ended(self, event: JobEvent) -> None:
        """A ``done`` or ``error`` event that moved the job: its duration, frames, seconds."""
        JOBS_FINISHED.labels(self.kind, event.kind).inc()
        if "render" in event.timings:
            RENDER_SECONDS.labels(self.kind).observe(event.timings["render"])
        if "encode" in event.timings:
            ENCODE_SECONDS.labels(self.kind).observe(event.timings["encode"])
        if event.kind != "done":
            return
        JOB_SECONDS.labels(self.kind, self.tier).observe(time.monotonic() - self.started)
        if event.frames:
            FRAMES_RENDERED.labels(self.kind).inc(event.frames / self.shared_by)
            if "encode" in event.timings:
                FRAMES_ENCODED.labels(self.kind).inc(event.frames)


class QueueCollector(Collector):
    """Jobs by kind and state, the queue's depth and age per kind, counted in the DB when
    Prometheus scrapes (every kind is reported, an empty queue as 0)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "meshfarm_jobs", "Jobs by kind and state", labels=["kind", "state"]
        )
        depth = GaugeMetricFamily(
            "meshfarm_queue_depth", "Jobs queued, waiting for a worker", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "meshfarm_queue_oldest_seconds",
            "Age of the oldest queued job (0: none queued)",
            labels=["kind"],
        )
        queued = dict.fromkeys(KIND_RESOURCES, 0)
        first: dict[str, datetime] = {}
        with self.ctx.sessions() as session:
            for kind, state, count in session.execute(
                select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
            ):
                jobs.add_metric([kind, state], count)
                if state == "queued":
                    queued[kind] = count
            for kind, created in session.execute(
                select(Job.kind, func.min(Job.created_at))
                .where(Job.state == "queued")
                .group_by(Job.kind)
            ):
                first[kind] = created if created.tzinfo else created.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        for kind, count in sorted(queued.items()):
            depth.add_metric([kind], count)
            age = (now - first[kind]).total_seconds() if kind in first else 0.0
            oldest.add_metric([kind], max(0.0, age))
        yield jobs
        yield depth
        yield oldest


def exposition(ctx: AppContext) -> bytes:
    """The counters of this process, or of every process of a multi-process ``serve``
    (their values are files under PROMETHEUS_MULTIPROC_DIR), then the queue from the DB."""
    registry = CollectorRegistry()
    registry.register(QueueCollector(ctx))
    counters = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        MultiProcessCollector(counters)
    return generate_latest(counters) + generate_latest(registry)

"""Prometheus metrics: queue depth from the DB at scrape time, counters from the dispatcher."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from broker.context import AppContext
from broker.db.models import Job

REGISTRY = CollectorRegistry()
JOBS_STARTED = Counter(
    "meshfarm_jobs_started", "Jobs handed to a worker", ["kind"], registry=REGISTRY
)
JOBS_FINISHED = Counter(
    "meshfarm_jobs_finished", "Jobs that ended, by outcome", ["kind", "outcome"], registry=REGISTRY
)
JOBS_LOST = Counter("meshfarm_jobs_lost", "Jobs whose worker died", registry=REGISTRY)
CREDITS_CHARGED = Counter("meshfarm_credits_charged", "Credits charged", registry=REGISTRY)
SECONDS_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
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


class QueueCollector(Collector):
    """Jobs by kind and state, counted in the DB when Prometheus scrapes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "meshfarm_jobs", "Jobs by kind and state", labels=["kind", "state"]
        )
        with self.ctx.sessions() as session:
            for kind, state, count in session.execute(
                select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
            ):
                jobs.add_metric([kind, state], count)
        yield jobs


def exposition(ctx: AppContext) -> bytes:
    registry = CollectorRegistry()
    registry.register(QueueCollector(ctx))
    return generate_latest(REGISTRY) + generate_latest(registry)

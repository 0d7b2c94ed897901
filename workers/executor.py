"""The executor interface: where assignments run (local processes, or Ray actors).

The broker's dispatcher owns the queue (the DB); an executor only runs what it is handed
and reports back through events, so the same assignments run locally or on a fleet. Each
executor keeps one pool of slots per :data:`~workers.resources.Resource`, with worker
processes of its own, so a CPU job that takes minutes never waits for a render slot (nor
holds one) and a long render never holds up a CPU job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from workers.jobs import Assignment, JobEvent
from workers.resources import Resource


class Executor(ABC):
    @abstractmethod
    def free_slots(self, resource: Resource = "gpu") -> int:
        """How many more jobs needing ``resource`` may be submitted now (backpressure: the
        queue stays in the DB). The default serves a caller that only knows renders."""

    @abstractmethod
    def submit(self, assignment: Assignment) -> None:
        """Start ``assignment`` on a free slot of the pool its ``resource`` names."""

    @abstractmethod
    def poll(self, timeout: float) -> list[JobEvent]:
        """Events reported by every pool since the last call (waits up to ``timeout`` for
        the first)."""

    @abstractmethod
    def lost_jobs(self) -> list[str]:
        """Job ids whose worker, in any pool, died mid-job since the last call (they must be
        retried)."""

    @abstractmethod
    def workers(self) -> list[dict[str, Any]]:
        """One dict per slot of every pool for /v1/admin/workers (id, pool, node, gpu, pid,
        alive, currentJob, jobsDone, lastHeartbeat)."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop the workers (running jobs are abandoned; their leases expire and retry)."""

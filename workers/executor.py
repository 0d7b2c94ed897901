"""The executor interface: where job specs run (local processes here, Ray actors later).

The broker's dispatcher owns the queue (the DB); an executor only runs what it is handed
and reports back through events, so the same job specs run locally or on a fleet.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from workers.jobs import JobEvent, JobSpec


class Executor(ABC):
    @abstractmethod
    def free_slots(self) -> int:
        """How many more jobs may be submitted now (backpressure: the queue stays in the DB)."""

    @abstractmethod
    def submit(self, spec: JobSpec) -> None:
        """Start running ``spec`` on a free slot."""

    @abstractmethod
    def poll(self, timeout: float) -> list[JobEvent]:
        """Events reported since the last call (waits up to ``timeout`` for the first)."""

    @abstractmethod
    def lost_jobs(self) -> list[str]:
        """Job ids whose worker died mid-job since the last call (they must be retried)."""

    @abstractmethod
    def workers(self) -> list[dict[str, Any]]:
        """One dict per slot for /v1/admin/workers (id, node, gpu, pid, alive, currentJob,
        jobsDone, lastHeartbeat)."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop the workers (running jobs are abandoned; their leases expire and retry)."""

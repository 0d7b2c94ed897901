"""Job states and the one table of the transitions between them.

``running`` carries a kind-specific ``phase`` (a render's poster-processing, poster-done,
video-processing); a phase change is a ``running → running`` transition, recorded like any
other. An API dialect projects (state, phase) onto its own vocabulary.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DISMISSED = "dismissed"
    """A failure the client has acknowledged (dx.gl's ``failed``)."""
    CANCELLED = "cancelled"
    """The client deleted the job's resource before it finished (no refund, as dx.gl)."""


TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.FAILED, JobState.CANCELLED}),
    JobState.RUNNING: frozenset(
        {
            JobState.RUNNING,
            JobState.QUEUED,  # its lease expired: another attempt
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.CANCELLED,
        }
    ),
    JobState.FAILED: frozenset({JobState.DISMISSED}),
    JobState.SUCCEEDED: frozenset(),
    JobState.DISMISSED: frozenset(),
    JobState.CANCELLED: frozenset(),
}
"""Every allowed move; anything else is refused before the database is asked."""

UNFINISHED: frozenset[JobState] = frozenset({JobState.QUEUED, JobState.RUNNING})


def allowed(source: JobState, target: JobState) -> bool:
    return target in TRANSITIONS[source]


def sources_of(target: JobState) -> tuple[JobState, ...]:
    """The states a job may be in for ``target`` to be allowed."""
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)

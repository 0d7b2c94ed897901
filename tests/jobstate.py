"""Moving a render's job the way the engine would, for tests that fake a worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.db.models import Render
from broker.jobs.machine import Guard, move
from broker.jobs.states import UNFINISHED, JobState


def succeed(session: Session, render_id: str, **outputs: Any) -> None:
    """The render's job ran and succeeded with ``outputs`` (assets, file_size, ...)."""
    render = session.get(Render, render_id)
    assert render is not None
    job_id = render.job_id
    assert move(session, job_id, JobState.RUNNING, Guard((JobState.QUEUED,)), by="test")
    assert move(session, job_id, JobState.SUCCEEDED, Guard((JobState.RUNNING,)), by="test")
    for name, value in outputs.items():
        setattr(render, name, value)


def fail(session: Session, render_id: str, message: str) -> bool:
    """What a worker's error report does to the render's job (False if it had ended)."""
    render = session.get(Render, render_id)
    assert render is not None
    guard = Guard(tuple(UNFINISHED))
    return move(session, render.job_id, JobState.FAILED, guard, by="test", message=message)

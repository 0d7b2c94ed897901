"""A model's pictures: a thumbnail and six canonical views, rendered once per model file.

The first caller for a file queues one ``views`` job (:mod:`workers.views_job` renders
all seven PNGs in one run); the job is named by the file's ``model_views`` row, whose key
is the SHA-256 of (the stored file's SHA-256, :data:`VIEWS_VERSION`). As in the
conversion cache (:mod:`broker.services.format_cache`) the primary key makes "one job
per key" the database's on SQLite and PostgreSQL: callers racing for a free key each
queue a job in a transaction that inserts the key, the losers' inserts do nothing, they
roll back (no job) and wait for the winner's. A failed job keeps the key until the next
caller points it at a new job (a compare-and-set on ``job_id``). Keys are shared across
accounts and models: only the same bytes reach one. Dialects answer
:class:`ConversionPending` and :class:`ConversionFailed` in their own words.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Model, ModelView
from broker.errors import InvalidInput, ServiceUnavailable
from broker.jobs import submit as jobs
from broker.jobs.machine import now
from broker.jobs.states import JobState
from broker.services.format_cache import (
    POLL_SECONDS,
    ConversionFailed,
    ConversionPending,
    model_source,
)
from workers.specs import ViewsSpec

VIEWS: tuple[str, ...] = ("front", "back", "left", "right", "top", "three_quarter")
"""A client's index 0..5 (workers.views_job.VIEWS draws them in this order)."""
THUMBNAIL = "thumbnail"
VIEWS_VERSION = 1
"""Bump whenever the views job draws other pictures of the same file: every key misses."""
CONTENT_TYPE = "image/png"
BY = "views"
_TRIES = 5
_FAILED = frozenset({JobState.FAILED, JobState.DISMISSED, JobState.CANCELLED})


class ViewsPending(ConversionPending):
    """The views are still being rendered after the caller's wait (worth asking again)."""

    message = "The model's views are still rendering; retry shortly"


class ViewsFailed(ConversionFailed):
    """The views job failed; ``detail`` is its reason. The next request retries it."""

    message = "Rendering the model's views failed"


@dataclass(frozen=True)
class ViewFile:
    """One rendered picture in the object store."""

    key: str
    size: int
    content_type: str


def views_key(file_sha256: str) -> str:
    parts = {"input": file_sha256.lower(), "views": VIEWS_VERSION}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _complete(entry: ModelView) -> bool:
    return all(name in (entry.assets or {}) for name in (*VIEWS, THUMBNAIL))


def _failed(entry: ModelView) -> bool:
    """Never to be served: its job failed (or succeeded without every picture, which no
    worker reports, but a key must not be stuck on it)."""
    state = JobState(entry.job.state)
    return state in _FAILED or (state is JobState.SUCCEEDED and not _complete(entry))


def _insert(session: Session, key: str, job_id: str) -> bool:
    """The key for this job if no one holds it; never aborts the transaction."""
    values = {"views_key": key, "job_id": job_id, "assets": {}, "updated_at": now()}
    name = session.get_bind().dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    statement = insert(ModelView).values(**values).on_conflict_do_nothing()
    return session.execute(statement.returning(ModelView.views_key)).scalar() is not None


def _repoint(session: Session, key: str, old: str, new: str) -> bool:
    """The key moved from job ``old`` to ``new``, unless someone moved it first."""
    result = session.execute(
        update(ModelView)
        .where(ModelView.views_key == key, ModelView.job_id == old)
        .values(job_id=new, assets={}, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


class _Lost(Exception):
    """Another caller took the key first: this transaction rolls back and reads theirs."""


def _obtain(session: Session, ctx: AppContext, model: Model, key: str) -> str:
    """The key's job id: the one that holds it, or a new one queued for ``model``."""
    current = session.get(ModelView, key)
    if current is not None and not _failed(current):
        return current.job_id
    spec = ViewsSpec(model_id=model.id)
    by = f"account:{model.account_id}"
    (job,) = jobs.submit(
        session, model.account_id, [spec], by=by, max_attempts=ctx.settings.max_attempts
    )
    session.flush()
    claimed = (
        _insert(session, key, job.id)
        if current is None
        else _repoint(session, key, current.job_id, job.id)
    )
    if not claimed:
        raise _Lost()
    return job.id


def obtain(ctx: AppContext, model: Model) -> str:
    """The key of ``model``'s stored file: its views row, created (one job queued) when
    there is none or its job failed. Concurrent callers get the same one. Returns the key."""
    key = views_key(model_source(ctx.store, model).sha256)
    for _ in range(_TRIES):
        try:
            with transaction(ctx.sessions) as session:
                _obtain(session, ctx, model, key)
            return key
        except _Lost:
            continue
    raise ServiceUnavailable("The views cache is busy; retry shortly")


def _wait(ctx: AppContext, key: str, wait_s: float) -> ModelView:
    deadline = time.monotonic() + wait_s
    while True:
        with ctx.sessions() as session:
            entry = session.get(ModelView, key)
            if entry is None:
                raise ViewsFailed("The model's views no longer exist")
            session.expunge(entry)
        if _complete(entry) and entry.job.state == JobState.SUCCEEDED:
            return entry
        if _failed(entry):
            raise ViewsFailed(entry.job.error_message or None)
        left = deadline - time.monotonic()
        if left <= 0:
            raise ViewsPending(entry.job_id, entry.job.state)
        time.sleep(min(POLL_SECONDS, left))


def view_file(ctx: AppContext, model: Model, view: str, wait_s: float) -> ViewFile:
    """``view`` (THUMBNAIL or one of VIEWS) of ``model``'s stored file, once rendered:
    all seven pictures are made by one job per file, whoever asks; this waits up to
    ``wait_s`` for it. Still rendering: ViewsPending (a ConversionPending); its job
    failed: ViewsFailed (a ConversionFailed) with the reason, and the next call retries."""
    if view != THUMBNAIL and view not in VIEWS:
        raise InvalidInput(f"view must be {THUMBNAIL} or one of {', '.join(VIEWS)}")
    entry = _wait(ctx, obtain(ctx, model), wait_s)
    asset = entry.assets[view]
    return ViewFile(
        key=str(asset["key"]),
        size=int(asset["size"]),
        content_type=str(asset.get("content_type") or CONTENT_TYPE),
    )

"""The conversion cache: one converted file per input, target, options and converter
version, whichever API asks for it.

A key is the SHA-256 of (the input's SHA-256, the target, ``y_up``, ``root_xform``,
:data:`exchange.formats.CONVERTER_VERSION`). ``converted_files`` maps a key to the
conversion whose outputs are the key's file, and its primary key is what makes "one
conversion per key" hold under concurrency on SQLite and PostgreSQL alike: callers racing
for a free key each queue a conversion in a transaction that inserts the key, the losers'
inserts do nothing, they roll back and read the winner's row. A failed conversion keeps the
key until the next caller points it at a new conversion — a compare-and-set on the row, so
racing retries also make one. ``force`` re-runs a finished one the same way (never one in
progress). Rows are shared across accounts: only a caller with the same input bytes can
reach a key. Dialects map :class:`ConversionPending` and :class:`ConversionFailed` to their
own answers.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Conversion, ConvertedFile, Model
from broker.errors import FileNotFound, InternalError, ServiceUnavailable
from broker.jobs import submit as jobs
from broker.jobs.machine import Guard, move, now
from broker.jobs.states import JobState
from exchange.formats import CONVERTER_VERSION
from workers.specs import ConvertSpec, ConvertTarget
from workers.storage import ObjectStore

SERVED = "served from the conversion cache"
"""The history message of a job the cache finished without a worker."""
BY = "cache"
POLL_SECONDS = 0.25
RETRY_AFTER_SECONDS = 5
_TRIES = 5
_CHUNK = 1024 * 1024
_FAILED = frozenset({JobState.FAILED, JobState.DISMISSED, JobState.CANCELLED})


class ConversionPending(ServiceUnavailable):
    """The conversion did not finish within the caller's wait (worth asking again)."""

    message = "The conversion is still running; retry shortly"
    default_retry_after = RETRY_AFTER_SECONDS

    def __init__(self, conversion_id: str, state: str) -> None:
        super().__init__()
        self.conversion_id = conversion_id
        self.state = state


class ConversionFailed(InternalError):
    """The conversion's job failed; ``detail`` is its reason. The next request retries it."""

    message = "The conversion failed"


@dataclass(frozen=True)
class ConvertOptions:
    y_up: bool = True
    root_xform: bool = True


@dataclass(frozen=True)
class CacheSource:
    """A stored input: its object key, the SHA-256 of its bytes, format, name and size."""

    key: str
    sha256: str
    format: str
    filename: str
    size: int


def cache_key(input_sha256: str, target: str, options: ConvertOptions) -> str:
    parts = {
        "input": input_sha256.lower(),
        "target": target,
        "y_up": options.y_up,
        "root_xform": options.root_xform,
        "converter": CONVERTER_VERSION,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _digest(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return _digest(iter(lambda: fh.read(_CHUNK), b""))


def model_source(store: ObjectStore, model: Model) -> CacheSource:
    """A model's stored file as a conversion input. ``Model.sha256`` is the upload's hash,
    which is the stored file's only when it was stored as uploaded; a converted one is
    hashed from the store."""
    size = store.size(model.storage_key)
    if size is None:
        raise FileNotFound()
    as_uploaded = model.source_key == model.storage_key
    sha = model.sha256 if as_uploaded else _digest(store.iter_range(model.storage_key))
    return CacheSource(model.storage_key, sha, model.file_format, model.original_name, size)


# --- rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewConversion:
    """A conversion to queue: who asks, the stored input, the target and options."""

    account_id: str
    token_id: str | None
    filename: str
    source_key: str
    source_format: str
    source_size: int
    target: ConvertTarget
    options: ConvertOptions
    cache_key: str
    webhook_url: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


def queue(session: Session, new: NewConversion, max_attempts: int) -> Conversion:
    """The conversion's row and its queued job (one), flushed, in the caller's transaction."""
    spec = ConvertSpec(
        conversion_id=new.id,
        target=new.target,
        y_up=new.options.y_up,
        root_xform=new.options.root_xform,
    )
    by = f"account:{new.account_id}"
    (job,) = jobs.submit(session, new.account_id, [spec], by=by, max_attempts=max_attempts)
    conversion = Conversion(
        id=new.id,
        job_id=job.id,
        account_id=new.account_id,
        token_id=new.token_id,
        filename=new.filename[:255],
        source_key=new.source_key,
        source_format=new.source_format,
        source_size=new.source_size,
        target=new.target,
        webhook_url=new.webhook_url,
        assets={},
        cache_key=new.cache_key,
    )
    session.add(conversion)
    session.flush()
    session.refresh(conversion)  # the job, loaded while the session is open
    return conversion


def holder(session: Session, key: str) -> Conversion | None:
    """The conversion the key names (finished, failed or in progress), if any."""
    entry = session.get(ConvertedFile, key)
    return None if entry is None else session.get(Conversion, entry.conversion_id)


def is_ready(conversion: Conversion) -> bool:
    return conversion.job.state == JobState.SUCCEEDED and "asset" in (conversion.assets or {})


def is_failed(conversion: Conversion) -> bool:
    """Never to be served: its job failed (or it succeeded without a file, which no worker
    reports, but a key must not be stuck on it)."""
    state = JobState(conversion.job.state)
    return state in _FAILED or (state is JobState.SUCCEEDED and not is_ready(conversion))


def _insert(session: Session, key: str, conversion_id: str) -> bool:
    """The key for this conversion if no one holds it; never aborts the transaction."""
    values = {"cache_key": key, "conversion_id": conversion_id, "updated_at": now()}
    name = session.get_bind().dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    statement = insert(ConvertedFile).values(**values).on_conflict_do_nothing()
    inserted = session.execute(statement.returning(ConvertedFile.cache_key)).scalar()
    return inserted is not None


def _repoint(session: Session, key: str, old: str, new: str) -> bool:
    """The key moved from conversion ``old`` to ``new``, unless someone moved it first."""
    result = session.execute(
        update(ConvertedFile)
        .where(ConvertedFile.cache_key == key, ConvertedFile.conversion_id == old)
        .values(conversion_id=new, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim(session: Session, key: str, current: Conversion | None, conversion_id: str) -> bool:
    if current is None:
        return _insert(session, key, conversion_id)
    return _repoint(session, key, current.id, conversion_id)


def serve_from(session: Session, conversion: Conversion, cached: Conversion) -> None:
    """Finish a queued conversion with a finished one's outputs (the same stored objects),
    through the job machine, so that no worker runs: queued → running → succeeded."""
    guard_queued, guard_running = Guard((JobState.QUEUED,)), Guard((JobState.RUNNING,))
    if not move(session, conversion.job_id, JobState.RUNNING, guard_queued, by=BY, message=SERVED):
        raise RuntimeError(f"job {conversion.job_id} is not queued")
    conversion.assets = dict(cached.assets or {})
    conversion.report = cached.report
    conversion.health_score = cached.health_score
    conversion.completed_at = now()
    session.flush()
    move(session, conversion.job_id, JobState.SUCCEEDED, guard_running, by=BY, message=SERVED)


def adopt(session: Session, conversion: Conversion) -> bool:
    """A conversion just queued for its own client (a Refinery upload, its own job id):
    served from a finished conversion of its key when there is one (True); else it becomes
    the key's conversion when the key is free or its conversion failed, and runs. One of
    the key in progress is not waited for: this one runs too, outside the cache."""
    key = conversion.cache_key
    if key is None:
        return False
    current = holder(session, key)
    if current is not None and is_ready(current):
        serve_from(session, conversion, current)
        return True
    if current is None or is_failed(current):
        _claim(session, key, current, conversion.id)
    return False


# --- a caller that wants the file ---------------------------------------------------------


class _Lost(Exception):
    """Another caller took the key first: this transaction rolls back and reads theirs."""


def obtain(
    ctx: AppContext,
    account_id: str,
    source: CacheSource,
    target: ConvertTarget,
    options: ConvertOptions | None = None,
    *,
    force: bool = False,
) -> Conversion:
    """The key's conversion (ready or in progress), or a new one queued (one job) when
    there is none, it failed, or ``force`` asks for a new run of a finished one. Concurrent
    callers get the same row. Returned detached."""
    options = options or ConvertOptions()
    key = cache_key(source.sha256, target, options)
    if not force:  # a hit is answered in one short session, without queueing anything
        with ctx.sessions() as session:
            current = holder(session, key)
            if current is not None and is_ready(current):
                session.expunge(current)
                return current
    for _ in range(_TRIES):
        try:
            with transaction(ctx.sessions) as session:
                conversion = _obtain(session, ctx, account_id, source, target, options, key, force)
                session.expunge(conversion)
                return conversion
        except _Lost:
            continue
    raise ServiceUnavailable("The conversion cache is busy; retry shortly")


def _obtain(
    session: Session,
    ctx: AppContext,
    account_id: str,
    source: CacheSource,
    target: ConvertTarget,
    options: ConvertOptions,
    key: str,
    force: bool,
) -> Conversion:
    current = holder(session, key)
    if current is not None and not is_failed(current) and not (force and is_ready(current)):
        return current
    new = NewConversion(
        account_id=account_id,
        token_id=None,
        filename=source.filename,
        source_key=source.key,
        source_format=source.format,
        source_size=source.size,
        target=target,
        options=options,
        cache_key=key,
    )
    conversion = queue(session, new, ctx.settings.max_attempts)
    if not _claim(session, key, current, conversion.id):
        raise _Lost()
    return conversion


def wait_ready(ctx: AppContext, conversion_id: str, timeout_s: float) -> Conversion:
    """The conversion once its job succeeded (detached). Its job failed: ConversionFailed
    with the reason; still running after ``timeout_s``: ConversionPending."""
    deadline = time.monotonic() + timeout_s
    while True:
        with ctx.sessions() as session:
            conversion = session.get(Conversion, conversion_id)
            if conversion is None:
                raise ConversionFailed("The conversion no longer exists")
            session.expunge(conversion)
        state = JobState(conversion.job.state)
        if is_ready(conversion):
            return conversion
        if is_failed(conversion):
            raise ConversionFailed(conversion.job.error_message or None)
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConversionPending(conversion.id, state.value)
        time.sleep(min(POLL_SECONDS, left))

"""Engine and session factory for SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite connection waits for another one's write lock before it gives up
# ("database is locked", which the API answers with 503 service_unavailable + Retry-After).
# Write transactions here last milliseconds; a lock held longer is a stuck or foreign writer,
# and a client is better told to retry than left hanging.
SQLITE_BUSY_SECONDS = 5
READ_ONLY = {"meshfarm_read_only": True}
"""The execution option of :func:`reading`'s connection: a deferred BEGIN on SQLite."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
        # Kept open for as many requests as run at once (the API's thread pool is 40): an
        # overflow connection is opened and closed per request, and opening one (its PRAGMAs
        # and statement cache) took a tenth of the broker's CPU under load.
        pool_size=50,
        max_overflow=10,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A plain BEGIN upgrades to a write lock mid-transaction and fails with "database is
        # locked" under concurrency; taking the write lock up front serialises writers cleanly.
        # A read (see ``reading``) begins deferred: a WAL reader never waits for the writer
        # nor makes it wait, so polling GETs do not queue behind each other or a worker's
        # progress report.
        read_only = conn.get_execution_options().get("meshfarm_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite a deferred transaction (no write lock),
    rolled back at the end. A write in it upgrades the lock and may fail at once with
    "database is locked" rather than wait: keep writes in :func:`transaction`."""
    with factory() as session:
        session.connection(execution_options=READ_ONLY)
        try:
            yield session
        finally:
            session.rollback()

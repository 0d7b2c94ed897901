"""``Idempotency-Key`` on POST: a request repeated with the same key runs once.

A client that retries a POST (its connection dropped, a 503) sends the same key each time;
the first request with a key claims it (a row in ``idempotency_keys``, whose primary key
(account, key) makes the claim the database's, on SQLite and PostgreSQL alike) and runs;
its answer is stored with a fingerprint of the request. Within :data:`KEEP` (24 h) a
request with the same key and account

- whose fingerprint matches gets the stored answer back — status, body and headers, plus
  ``Idempotent-Replayed: true`` — and runs nothing (no second render, no second charge);
- whose fingerprint differs is refused, 422 ``idempotency_key_reused`` (the IETF
  draft-ietf-httpapi-idempotency-key-header's status for a reused key; Stripe answers 400);
- that arrives while the first is still running waits for its answer up to
  :data:`WAIT_SECONDS`, then is told 409 ``idempotency_in_progress`` with ``Retry-After``.

Only answers that are final are kept: a 5xx (a busy database, a crash) or an answer given
before the whole body was read (refused from its headers) releases the key, so the retry
runs again. The fingerprint is the method, path, query, media type and body, with a
multipart body's boundary (which a client draws anew for every attempt) left out.
Requests that do not authenticate pass through untouched: the route refuses them itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.api.deps import authenticate
from broker.api.error_handlers import ErrorDialect, database_unavailable
from broker.db.engine import transaction
from broker.db.models import IdempotencyKey, utcnow
from broker.errors import DatabaseBusy, DomainError

log = logging.getLogger("meshfarm.broker")

HEADER = "idempotency-key"
KEEP = timedelta(hours=24)
"""How long a key's first answer is given back."""
ABANDONED = timedelta(hours=1)
"""A key still claimed after this long belongs to a request that died with its server
(uploads are cut far sooner by the slow-client deadlines); the next request takes it."""
WAIT_SECONDS = 60.0
MAX_KEY_LENGTH = 255
MAX_STORED_BODY = 1 << 20
"""POST answers are small JSON documents; one larger than this is not kept (and the key is
released) rather than held in the database."""
DROPPED_HEADERS = frozenset({"content-length", "date", "server"})
BOUNDARY_MARK = b"--\x00boundary\x00"


class _Fingerprint:
    """SHA-256 of a request, its multipart boundary replaced by a fixed mark as the body
    streams past (the last ``len(delimiter) - 1`` bytes wait for the next chunk, so a
    delimiter split across chunks is still found)."""

    def __init__(self, scope: Scope) -> None:
        headers = Headers(scope=scope)
        media, _, params = headers.get("content-type", "").partition(";")
        boundary = ""
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "boundary":
                boundary = value.strip().strip('"')
        self._delimiter = b"--" + boundary.encode("latin-1") if boundary else b""
        self._tail = b""
        self._hash = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
            self._hash.update(part.encode("utf-8", "surrogateescape") + b"\n")
        self._hash.update(media.strip().lower().encode("latin-1") + b"\n")
        self.complete = False

    def update(self, chunk: bytes, more: bool) -> None:
        if not self._delimiter:
            self._hash.update(chunk)
        else:
            data = (self._tail + chunk).replace(self._delimiter, BOUNDARY_MARK)
            keep = 0 if not more else len(self._delimiter) - 1
            self._tail = data[len(data) - keep :] if keep else b""
            self._hash.update(data[: len(data) - keep])
        self.complete = not more

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Stored:
    """A key's row as a request sees it: still running (``status_code`` None) or done."""

    fingerprint: str | None
    status_code: int | None
    headers: list[list[str]]
    body: bytes


def _delete(session: Session, *where: ColumnElement[bool]) -> None:
    session.execute(
        delete(IdempotencyKey).where(*where).execution_options(synchronize_session=False)
    )


def _running(account_id: str, key: str) -> tuple[ColumnElement[bool], ...]:
    """The key's row while its request is still running."""
    return (
        IdempotencyKey.account_id == account_id,
        IdempotencyKey.key == key,
        IdempotencyKey.status_code.is_(None),
    )


def _purge_and_claim(session: Session, account_id: str, key: str) -> Stored | None:
    """Claim the key (None) or read who holds it; expired and abandoned rows go first."""
    at = utcnow()
    _delete(session, IdempotencyKey.created_at < at - KEEP)
    _delete(session, *_running(account_id, key), IdempotencyKey.created_at < at - ABANDONED)
    name = session.get_bind().dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    claimed = session.execute(
        insert(IdempotencyKey)
        .values(account_id=account_id, key=key, created_at=at)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    ).scalar()
    if claimed is not None:
        return None
    return _read(session, account_id, key)


def _read(session: Session, account_id: str, key: str) -> Stored | None:
    row = session.execute(
        select(
            IdempotencyKey.fingerprint,
            IdempotencyKey.status_code,
            IdempotencyKey.headers,
            IdempotencyKey.body,
        ).where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
    ).one_or_none()
    if row is None:
        return None
    return Stored(row.fingerprint, row.status_code, row.headers or [], row.body or b"")


class Idempotency:
    """ASGI middleware of a dialect's app, answering its own refusals in that dialect's
    envelope (``errors``). It runs outside the app's exception handlers, so a database that
    is busy while a key is claimed is answered here, as the dialect answers it elsewhere."""

    def __init__(
        self,
        app: ASGIApp,
        sessions: sessionmaker[Session],
        errors: ErrorDialect,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.errors = errors
        self.wait_seconds = wait_seconds

    def _error(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        return self.errors.envelope(status, code, message, headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            message = f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters"
            await self._error(400, "invalid_request", message)(scope, receive, send)
            return
        try:
            account_id = await to_thread.run_sync(self._account, headers.get("authorization"))
        except (OperationalError, PoolTimeout) as exc:
            await self._busy(exc)(scope, receive, send)
            return
        if account_id is None:
            await self.app(scope, receive, send)
            return
        await self._keyed(scope, receive, send, account_id, key)

    def _busy(self, exc: OperationalError | PoolTimeout) -> Response:
        if not database_unavailable(exc):
            raise exc
        log.warning("database unavailable while claiming an Idempotency-Key: %s", exc)
        return self.errors.respond(DatabaseBusy())

    def _account(self, authorization: str | None) -> str | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            with self.sessions() as session:
                return authenticate(session, token.strip()).account_id
        except DomainError:
            return None

    async def _keyed(
        self, scope: Scope, receive: Receive, send: Send, account_id: str, key: str
    ) -> None:
        fingerprint = _Fingerprint(scope)
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.05
        while True:
            try:
                held = await to_thread.run_sync(self._claim, account_id, key)
            except (OperationalError, PoolTimeout) as exc:
                await self._busy(exc)(scope, receive, send)
                return
            if held is None:
                await self._run(scope, receive, send, account_id, key, fingerprint)
                return
            if held.status_code is not None:
                await self._replay(scope, receive, send, held, fingerprint)
                return
            if time.monotonic() >= deadline:
                message = (
                    "A request with this Idempotency-Key is still being processed; "
                    "retry after it finishes"
                )
                response = self._error(
                    409, "idempotency_in_progress", message, {"Retry-After": "1"}
                )
                await response(scope, receive, send)
                return
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.5)

    def _claim(self, account_id: str, key: str) -> Stored | None:
        with transaction(self.sessions) as session:
            return _purge_and_claim(session, account_id, key)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        account_id: str,
        key: str,
        fingerprint: _Fingerprint,
    ) -> None:
        """Run the request, passing its answer on as it goes and keeping a copy."""
        started: Message | None = None
        body: list[bytes] = []
        size = 0

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                fingerprint.update(message.get("body", b""), message.get("more_body", False))
            return message

        async def capturing_send(message: Message) -> None:
            nonlocal started, size
            if message["type"] == "http.response.start":
                started = message
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_STORED_BODY:
                    body.append(chunk)
            await send(message)

        try:
            await self.app(scope, hashing_receive, capturing_send)
        except BaseException:
            await to_thread.run_sync(self._release, account_id, key)
            raise
        status = started["status"] if started is not None else 500
        if status >= 500 or not fingerprint.complete or size > MAX_STORED_BODY:
            await to_thread.run_sync(self._release, account_id, key)
            return
        assert started is not None
        kept = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in started.get("headers", [])
            if name.decode("latin-1").lower() not in DROPPED_HEADERS
        ]
        await to_thread.run_sync(
            self._complete, account_id, key, fingerprint.hexdigest(), status, kept, b"".join(body)
        )

    def _release(self, account_id: str, key: str) -> None:
        with transaction(self.sessions) as session:
            _delete(session, *_running(account_id, key))

    def _complete(
        self,
        account_id: str,
        key: str,
        fingerprint: str,
        status: int,
        headers: list[list[str]],
        body: bytes,
    ) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
                .values(
                    fingerprint=fingerprint,
                    status_code=status,
                    headers=headers,
                    body=body,
                    completed_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )

    async def _replay(
        self, scope: Scope, receive: Receive, send: Send, held: Stored, fingerprint: _Fingerprint
    ) -> None:
        """The first answer, if this request is the first one again (its body read to the
        end to tell), else the refusal of a reused key."""
        while not fingerprint.complete:
            part = await receive()
            if part["type"] != "http.request":
                return  # the client went away
            fingerprint.update(part.get("body", b""), part.get("more_body", False))
        if fingerprint.hexdigest() != held.fingerprint:
            message = (
                "This Idempotency-Key was already used with a different request (method, "
                "path or body) in the last 24 hours; use a new key for a new request"
            )
            await self._error(422, "idempotency_key_reused", message)(scope, receive, send)
            return
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in held.headers]
        headers.append((b"content-length", str(len(held.body)).encode()))
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": held.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": held.body})

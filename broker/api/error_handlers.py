"""How a dialect's app answers every error: in its own envelope, from its own tables.

A dialect describes itself once, as an :class:`ErrorDialect` (its envelope, one row per
domain error, one code per framework status); :func:`install` wires what every dialect
needs alike: domain errors by the table, with server paths scrubbed from the message;
request validation as :class:`InvalidRequest` (400 everywhere: FastAPI's 422 is no
vendor's); Starlette's HTTP errors by status, a 405 with an ``Allow`` naming every method
of the path; a busy database as :class:`DatabaseBusy` (``Retry-After``); anything else as
:class:`InternalError`, logged once, with neither trace nor server path in the answer.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from broker.api.methods import allowed_methods
from broker.errors import DatabaseBusy, DomainError, InternalError, InvalidRequest, Unavailable
from broker.safe_text import printable, scrub_paths

log = logging.getLogger("meshfarm.broker")

# status, code, message -> the response; headers are the protocol's (Allow, Retry-After).
Envelope = Callable[[int, str, str, Mapping[str, str] | None], Response]
# A dialect's row for an error class: its status, its code, its wording of the default.
Row = tuple[int, str, str]
# Set on an exception once it is logged: a dialect's app runs inside the root app, and
# Starlette re-raises an unhandled error from each app's outermost middleware in turn.
_LOGGED = "_meshfarm_logged"


def _as_raised(exc: DomainError) -> str | None:
    return None


@dataclass(frozen=True)
class ErrorDialect:
    envelope: Envelope
    table: Mapping[type[DomainError], Row]
    http_codes: Mapping[int, str] = field(default_factory=dict)
    reword: Callable[[DomainError], str | None] = _as_raised
    """The dialect's own message for an error whose words name domain things (a job
    spec's field); None keeps the raiser's words."""

    def __post_init__(self) -> None:
        for needed in (InternalError, DatabaseBusy, InvalidRequest):  # what install() raises
            if self.row(needed) is None:
                raise ValueError(f"an error dialect needs a row for {needed.__name__}")

    def row(self, kind: type[DomainError]) -> Row | None:
        """The row of the nearest class along the MRO that has one."""
        return next((self.table[c] for c in kind.__mro__ if c in self.table), None)

    def respond(self, exc: DomainError, roots: Iterable[str] = ()) -> Response:
        row = self.row(type(exc))
        if row is None:
            raise LookupError(f"no row for {type(exc).__name__}")
        status, code, default = row
        headers = None
        if isinstance(exc, Unavailable) and exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        message = self.reword(exc) or exc.specific or default
        return self.envelope(status, code, scrub_paths(message, roots), headers)


def detail_envelope(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``{"detail": message}``: the shape a FastAPI service answers errors in by default."""
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def server_roots(request: Request) -> list[str]:
    roots = [tempfile.gettempdir()]
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is not None:
        data_dir = Path(ctx.settings.data_dir)
        roots += [str(data_dir), str(data_dir.resolve())]
    return roots


def database_unavailable(exc: Exception) -> bool:
    """A lock another connection holds (SQLite), a server that is down or a lock timeout
    (PostgreSQL), or no free connection in the pool: worth retrying, not a bug."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.OperationalError):
        text = str(exc.orig).lower()
        return "locked" in text or "busy" in text
    return True


def _describe(errors: list[Any]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid"))
    return "; ".join(parts) or "Invalid request"


def install(app: FastAPI, dialect: ErrorDialect) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if dialect.row(type(exc)) is None:  # a class the dialect's table forgot: a bug
            return await _unhandled(request, exc)
        return dialect.respond(exc, server_roots(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        return dialect.respond(InvalidRequest(_describe(list(exc.errors()))))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = dialect.http_codes.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request.app, request.scope)
        return dialect.envelope(exc.status_code, code, message, headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            return await _unhandled(request, exc)
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            printable(request.scope["path"]),
            printable(str(getattr(exc, "orig", exc)) or type(exc).__name__),
        )
        return dialect.respond(DatabaseBusy())

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        if not getattr(exc, _LOGGED, False):
            log.exception(
                "unhandled error on %s %s", request.method, printable(request.scope["path"])
            )
            setattr(exc, _LOGGED, True)
        return dialect.respond(InternalError())

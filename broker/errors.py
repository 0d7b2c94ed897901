"""One exception tree for the API, mapped to dx.gl's documented error codes in one place."""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from broker.api.methods import allowed_methods

log = logging.getLogger("meshfarm.broker")


class ApiError(Exception):
    """An error a client sees: ``{"error": {"code", "message", "status"}}``."""

    status = 400
    code = "bad_request"
    message = "Bad request"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(message or self.message)
        self.detail = message or self.message
        self.headers = headers


def _error(status: int, code: str, message: str) -> type[ApiError]:
    return type(
        "".join(p.title() for p in code.split("_")),
        (ApiError,),
        {"status": status, "code": code, "message": message},
    )


Unauthorized = _error(401, "unauthorized", "Missing, invalid or revoked token")
TokenExpired = _error(401, "token_expired", "Token has expired")
Forbidden = _error(403, "forbidden", "Account suspended")
InsufficientScope = _error(403, "insufficient_scope", "Token lacks required scope")
NoFile = _error(400, "no_file", "No file in upload request")
InvalidFormat = _error(400, "invalid_format", "File is not .glb, .gltf, or .zip")
InvalidSettings = _error(400, "invalid_settings", "Invalid renderSettings value")
InvalidRequest = _error(400, "invalid_request", "Invalid request")
ModelIdRequired = _error(400, "model_id_required", "Missing modelId field")
FileTooLarge = _error(400, "file_too_large", "File exceeds 100 MB limit")
NoCredits = _error(402, "no_credits", "No render credits remaining")
ModelNotFound = _error(404, "model_not_found", "Model not found")
RenderNotFound = _error(404, "render_not_found", "Render not found")
RendersRequired = _error(400, "renders_required", "Missing or empty renders array")
TooMany = _error(400, "too_many", "Batch exceeds 100 renders")
VideoNotFound = _error(404, "video_not_found", "Video not yet available")
PosterNotFound = _error(404, "poster_not_found", "Poster not yet available")
ThumbNotFound = _error(404, "thumb_not_found", "Thumbnail not yet available")
DatasetHasNoVideo = _error(
    404, "dataset_has_no_video", "A dataset render has no video, poster or thumbnail"
)
InvalidUrl = _error(400, "invalid_url", "Malformed URL")
UrlRequired = _error(400, "url_required", "Missing url field")
UrlTimeout = _error(408, "timeout", "URL download timed out")
OverlayNotFound = _error(404, "overlay_not_found", "Overlay not found")
FileNotFound = _error(404, "file_not_found", "Model file not found in storage")
Sha256Required = _error(400, "sha256_required", "Missing sha256 field")
InvalidTransition = _error(409, "invalid_transition", "Render is not in a state that allows this")
ServiceUnavailable = _error(503, "service_unavailable", "Service unavailable")

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}


def envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status}},
        status_code=status,
        headers=headers,
    )


# How long a client is asked to wait when the database is locked or unreachable.
RETRY_AFTER_SECONDS = 2


def printable(text: str) -> str:
    """Client-controlled text for a log line: control characters escaped (no forged lines)."""
    return text.encode("unicode_escape").decode("ascii")


def scrub_paths(message: str, roots: Iterable[str]) -> str:
    """Error messages never show where the server keeps files (a decoder's message names
    the staging file it read): any path under one of ``roots`` becomes ``<file>``."""
    for root in sorted({r.rstrip("/") for r in roots if r.strip("/")}, key=len, reverse=True):
        message = re.sub(rf"(?<![\w./-]){re.escape(root)}/[^\s'\"]*", "<file>", message)
    return message


def _server_roots(request: Request) -> list[str]:
    roots = [tempfile.gettempdir()]
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is not None:
        data_dir = Path(ctx.settings.data_dir)
        roots += [str(data_dir), str(data_dir.resolve())]
    return roots


def _database_unavailable(exc: Exception) -> bool:
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        message = scrub_paths(exc.detail, _server_roots(request))
        return envelope(exc.status, exc.code, message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(400, "invalid_request", _describe(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request.app, request.scope)
        return envelope(exc.status_code, code, message, headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not _database_unavailable(exc):
            return await _unhandled(request, exc)
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            printable(request.scope["path"]),
            printable(str(getattr(exc, "orig", exc)) or type(exc).__name__),
        )
        return envelope(
            503,
            "service_unavailable",
            "The database is busy or unreachable; retry shortly",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, printable(request.scope["path"]))
        return envelope(500, "internal", "Internal server error")

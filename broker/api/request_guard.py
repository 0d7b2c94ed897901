"""Refuse hostile requests before any route reads them.

Runs ahead of FastAPI for every request: text the databases cannot store alike (a NUL in
the path, the query string or a header) is ``invalid_request``; a JSON body is read at most
``MESHFARM_MAX_JSON_BODY_BYTES`` into memory (by Content-Length before reading, then counted
while streaming: ``payload_too_large`` 413) and checked by :mod:`broker.safe_json` (depth, number
length, NUL) before FastAPI parses it again. Uploads stream their multipart body to disk
under their own limits (:mod:`broker.ingest.multipart`) and are not buffered here.

It runs before any dialect's app, so it answers in the envelope of the dialect whose prefix
the path falls under (``dialects``), and in the ``default`` one's everywhere else.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker import safe_json
from broker.api.error_handlers import ErrorDialect
from broker.errors import DomainError, InvalidRequest, PayloadTooLarge

# Routes that parse their own (streamed, size-limited) multipart body.
STREAMED_UPLOADS = frozenset(
    {
        ("POST", "/v1/models"),
        ("POST", "/v1/overlays"),
        ("POST", "/refinery/api/v1/convert"),
        ("POST", "/refinery/api/v1/batch"),
        ("POST", "/rigyd/api/conversions"),
        ("POST", "/rigyd/api/conversions/generate"),
    }
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _text_problem(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "The URL path contains a NUL character"
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query.lower():
        return "The query string contains a NUL character"
    if any(b"\x00" in value for _, value in scope["headers"]):
        return "A request header contains a NUL character"
    return None


def _is_json(content_type: str | None) -> bool:
    """FastAPI parses a body as JSON without a Content-Type or with ``application/*json``."""
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        dialects: Mapping[str, ErrorDialect],
        default: ErrorDialect,
        max_json_bytes: int,
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.dialects = dialects
        self.default = default

    def _dialect(self, path: str) -> ErrorDialect:
        for prefix, dialect in self.dialects.items():
            if path == prefix or path.startswith(prefix + "/"):
                return dialect
        return self.default

    async def _refuse(self, exc: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
        await self._dialect(scope["path"]).respond(exc)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _text_problem(scope)
        if problem is not None:
            await self._refuse(InvalidRequest(problem), scope, receive, send)
            return
        route = (scope["method"], scope["path"].rstrip("/"))  # FastAPI redirects "/v1/models/"
        if scope["method"] not in BODY_METHODS or route in STREAMED_UPLOADS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_json_bytes:
            await self._refuse(self._too_large(), scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            body += message.get("body", b"")
            if len(body) > self.max_json_bytes:
                await self._refuse(self._too_large(), scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if body and _is_json(headers.get("content-type")):
            try:
                safe_json.loads(bytes(body), "Request body")
            except json.JSONDecodeError:
                pass  # FastAPI answers bad syntax itself (invalid_request, with the position)
            except UnicodeDecodeError:
                not_utf8 = InvalidRequest("Request body is not UTF-8 JSON")
                await self._refuse(not_utf8, scope, receive, send)
                return
            except DomainError as exc:
                await self._refuse(exc, scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _too_large(self) -> PayloadTooLarge:
        limit = self.max_json_bytes / 1024 / 1024
        return PayloadTooLarge(f"Request body exceeds the {limit:g} MB limit")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body once, then the real channel (for ``http.disconnect``)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed

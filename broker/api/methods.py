"""HEAD wherever GET exists, and 405 answers whose ``Allow`` names every method of the path.

FastAPI routes answer only the methods they declare (Starlette's own routes add HEAD to
GET), and a 405 lists the methods of the first route whose path matched, not of every
route on that path (``GET, PATCH, DELETE /v1/models/:id`` are three routes).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEAD_KEY = "meshfarm.head"
_PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")


class HeadAsGet:
    """A HEAD request is routed and answered as the GET, then sent without its body: the
    status and headers (Content-Length included) are the GET's, whichever server runs the
    app, and no route needs a HEAD twin (which the OpenAPI document would list twice).
    Handlers that stream stored files ask :func:`is_head` so a HEAD never reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD_KEY: True}, receive, headers_only)


def is_head(request: Request) -> bool:
    return bool(request.scope.get(HEAD_KEY))


def support_head(app: FastAPI) -> None:
    app.add_middleware(HeadAsGet)


def allowed_methods(app: ASGIApp, scope: Scope) -> str:
    """Every method some route accepts on the request's path, for a 405's ``Allow``:
    each method is probed through the routes' own matching."""
    routes = getattr(app, "routes", ())
    allowed = []
    for method in _PROBED:
        probe = {"type": "http", "method": method, "path": scope["path"]}
        probe["root_path"] = scope.get("root_path", "")
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    if "GET" in allowed:
        allowed.insert(1, "HEAD")
    return ", ".join(allowed)

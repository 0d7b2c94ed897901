"""The portal's session cookie, turned into a bearer token for the dx.gl file routes.

A browser sends no ``Authorization`` header with a ``<video src>``, an ``<img src>``, the
GLB ``<model-viewer>`` loads or a download link, yet those are how a person plays a video
(with the Range requests the player makes), sees a poster and saves a bundle. So signing in
also sets an HttpOnly, SameSite=Strict session cookie holding the token, and this
middleware lends it to exactly those read-only routes (GET and HEAD of a render's files and
a model's file), when the request carries no token of its own. Every other route still
needs the header, so a page elsewhere cannot act with the cookie (and SameSite keeps other
sites from sending it at all).
"""

from __future__ import annotations

import re
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "meshfarm_portal"
COOKIE_PATH = "/v1"
FILE_ROUTES = re.compile(
    r"^/v1/(renders/[^/]+/(video|poster|thumb|bundle)|models/[^/]+/(file|original))$"
)


def token_from_cookie(cookie_header: str) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


class MediaCookie:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and FILE_ROUTES.match(scope["path"])
        ):
            headers = Headers(scope=scope)
            token = token_from_cookie(headers.get("cookie", ""))
            if token is not None and "authorization" not in headers:
                lent = (b"authorization", f"Bearer {token}".encode("latin-1", "replace"))
                scope = {**scope, "headers": [*scope["headers"], lent]}
        await self.app(scope, receive, send)

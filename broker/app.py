"""The root application: one sub-app per vendor API, and what they all share.

The root owns the server's lifetime (dispatcher and janitor start and stop with it), the
request guard, /metrics, and the dialects: USD Refinery, Rigyd and Thrixel mounted at their
prefixes, and dx.gl behind them at the root, answering every path nobody else claims, so a
dx.gl client's base URL stays the host (/v1/..., /v1/docs, /v1/openapi.json).

Every sub-app shares the root's ``state`` object: ``ctx`` and whatever a caller sets on the
app ``create_app`` returns (``app.state.dispatcher``, ``app.state.janitor``) is what a
route reads as ``request.app.state``, whichever app the route belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from broker.api import error_handlers
from broker.api.methods import support_head
from broker.api.request_guard import RequestGuard
from broker.context import AppContext
from broker.dialects.dxgl import errors as dxgl_errors
from broker.dialects.dxgl.app import create_dxgl_app
from broker.dialects.dxgl.routes import admin
from broker.dialects.refinery import app as refinery_app
from broker.dialects.refinery import errors as refinery_errors
from broker.dialects.rigyd import app as rigyd_app
from broker.dialects.rigyd import errors as rigyd_errors
from broker.dialects.thrixel import app as thrixel_app
from broker.dialects.thrixel import errors as thrixel_errors
from broker.portal import install as install_portal
from workers.config import Settings

# The dialects under a prefix of their own: (prefix, sub-app factory, error vocabulary).
PREFIXED = (
    (refinery_app.PREFIX, refinery_app.create_refinery_app, refinery_errors.ERRORS),
    (rigyd_app.PREFIX, rigyd_app.create_rigyd_app, rigyd_errors.ERRORS),
    (thrixel_app.PREFIX, thrixel_app.create_thrixel_app, thrixel_errors.ERRORS),
)


def create_app(ctx: AppContext | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app around a context (tests pass their own; ``serve`` builds one)."""
    context = ctx or AppContext.from_settings(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The dispatcher lives and dies with the server: uvicorn re-raises SIGTERM/SIGINT
        # once it has shut down, so code after ``uvicorn.run`` never runs, and workers
        # left running would be orphaned. Stopped first, before the DB it writes to.
        dispatcher = getattr(app.state, "dispatcher", None)
        janitor = getattr(app.state, "janitor", None)  # crash debris: broker/janitor.py
        webhooks = getattr(app.state, "webhooks", None)  # the outbox: broker/webhooks/
        for started in (dispatcher, janitor, webhooks):
            if started is not None:
                started.start()
        try:
            yield
        finally:
            for stopped in (dispatcher, janitor, webhooks):
                if stopped is not None:
                    await asyncio.to_thread(stopped.stop)
            if ctx is None:
                context.close()

    app = FastAPI(
        title="meshfarm", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.ctx = context
    # The root's own routes (/metrics, dx.gl tokens) answer errors as dx.gl does.
    error_handlers.install(app, dxgl_errors.ERRORS)
    app.add_middleware(
        RequestGuard,
        dialects={prefix: errors for prefix, _, errors in PREFIXED},
        default=dxgl_errors.ERRORS,
        max_json_bytes=context.settings.max_json_body_bytes,
    )
    support_head(app)
    app.include_router(admin.metrics_router)
    install_portal(app)  # the web portal at /: broker/portal/
    for prefix, create, _ in PREFIXED:
        sub = create(context)
        sub.state = app.state
        app.mount(prefix, sub)
    dxgl = create_dxgl_app(context)
    dxgl.state = app.state
    # Mounted last, at the root: the router's fallback rather than a Mount(""), so that
    # a route added to the root later (a test's, an operator's) is still reached first.
    app.router.default = dxgl
    return app

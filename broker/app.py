"""The FastAPI application: routers under /v1, dx.gl error envelopes everywhere.

The interactive docs at /v1/docs load Swagger UI from files shipped in the
``fastapi-offline`` wheel, so they work on a farm without internet access.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from broker.api.methods import support_head
from broker.api.request_guard import RequestGuard
from broker.context import AppContext
from broker.dialects.dxgl.errors import ERRORS, install_error_handlers
from broker.dialects.dxgl.routes import (
    account,
    admin,
    assets,
    health,
    models,
    overlays,
    quote,
    renders,
)
from broker.schemas.resources import ErrorEnvelope
from workers.config import Settings

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 402, 403, 404, 409, 413, 500, 503)
}


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
        for started in (dispatcher, janitor):
            if started is not None:
                started.start()
        try:
            yield
        finally:
            for stopped in (dispatcher, janitor):
                if stopped is not None:
                    await asyncio.to_thread(stopped.stop)
            if ctx is None:
                context.close()

    app = FastAPIOffline(
        title="meshfarm",
        version="1.0.0",
        description="Self-hosted render farm; a drop-in implementation of the dx.gl v1 API.",
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        static_url="/v1/docs/static",
        swagger_ui_oauth2_redirect_url="/v1/docs/oauth2-redirect",
    )
    app.state.ctx = context
    install_error_handlers(app)
    app.add_middleware(RequestGuard, dialects={}, default=ERRORS)
    for module in (health, account, models, renders, assets, overlays, quote, admin):
        app.include_router(module.router, prefix="/v1", responses=ERROR_RESPONSES)
    app.include_router(admin.metrics_router)
    support_head(app)
    return app

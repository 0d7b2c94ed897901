"""The dx.gl v1 sub-app: its routers under /v1, its docs, its error envelope.

broker/app.py puts it behind every other dialect at the root, so a dx.gl client's base
URL stays the host. The interactive docs at /v1/docs load Swagger UI from files shipped in
the ``fastapi-offline`` wheel, so they work on a farm without internet access.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from broker.api.idempotency import Idempotency
from broker.api.methods import support_head
from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.dxgl.errors import ERRORS
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
from broker.dialects.dxgl.schemas import ErrorEnvelope

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 402, 403, 404, 409, 413, 500, 503)
}


def create_dxgl_app(context: AppContext) -> FastAPI:
    app = sub_app(
        "meshfarm",
        context,
        ERRORS,
        FastAPIOffline,
        version="1.0.0",
        description="Self-hosted render farm; a drop-in implementation of the dx.gl v1 API.",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        static_url="/v1/docs/static",
        swagger_ui_oauth2_redirect_url="/v1/docs/oauth2-redirect",
    )
    for module in (health, account, models, renders, assets, overlays, quote, admin):
        app.include_router(module.router, prefix="/v1", responses=ERROR_RESPONSES)
    support_head(app)
    # Every POST may carry an Idempotency-Key (docs/client.md): a retried upload, render or
    # batch runs once and is charged once.
    app.add_middleware(Idempotency, sessions=context.sessions, errors=ERRORS)
    return app

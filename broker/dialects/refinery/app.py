"""The USD Refinery sub-app, mounted at ``PREFIX`` by broker/app.py: its ``/api/v1/...``
paths (routes.py), answering errors in its ``{"detail": ...}`` envelope."""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.refinery.errors import ERRORS
from broker.dialects.refinery.logs import redact_access_log
from broker.dialects.refinery.routes import router

PREFIX = "/refinery"


def create_refinery_app(context: AppContext) -> FastAPI:
    app = sub_app("meshfarm: USD Refinery API", context, ERRORS)
    app.include_router(router)
    redact_access_log()  # keys may come as ?api_key=
    return app

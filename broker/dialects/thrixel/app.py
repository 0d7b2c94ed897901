"""The Thrixel sub-app, mounted at ``PREFIX`` by broker/app.py: its download API under
``/api/v1`` (docs/api.md, "Thrixel"), every error in Thrixel's ``{"detail"}`` envelope."""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.thrixel.errors import ERRORS
from broker.dialects.thrixel.routes import router

PREFIX = "/thrixel"


def create_thrixel_app(context: AppContext) -> FastAPI:
    app = sub_app("meshfarm: Thrixel API", context, ERRORS)
    app.include_router(router)
    return app

"""The Rigyd sub-app, mounted at ``PREFIX`` by broker/app.py: its ``/api/...`` paths,
answering errors in its ``{"error": message}`` envelope.

The account router comes first: ``/api/conversions/pricing`` must be matched before any
``/api/conversions/{id}`` route would take ``pricing`` for an id.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.rigyd.errors import ERRORS
from broker.dialects.rigyd.routes import account, conversions

PREFIX = "/rigyd"


def create_rigyd_app(context: AppContext) -> FastAPI:
    app = sub_app("meshfarm: Rigyd API", context, ERRORS)
    app.include_router(account.router)
    app.include_router(conversions.router)
    app.include_router(conversions.files_router)
    return app

"""The Rigyd sub-app, mounted at ``PREFIX`` by broker/app.py.

No routes yet: a path it does not know already answers in Rigyd's error envelope, and
the routers of its issue are included here.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.context import AppContext
from broker.dialects.rigyd.errors import install_error_handlers

PREFIX = "/rigyd"


def create_rigyd_app(context: AppContext) -> FastAPI:
    app = FastAPI(title="meshfarm: Rigyd API", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.ctx = context
    install_error_handlers(app)
    return app

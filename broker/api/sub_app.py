"""A vendor API's sub-app: its own FastAPI app, answering every error in its envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from broker.api import error_handlers
from broker.api.error_handlers import ErrorDialect
from broker.context import AppContext


def sub_app(
    title: str,
    context: AppContext,
    errors: ErrorDialect,
    make: Callable[..., FastAPI] = FastAPI,
    **docs: Any,
) -> FastAPI:
    """No docs unless ``docs`` names their URLs (a vendor's paths are its own); ``make``
    builds the app (dx.gl's serves its docs offline: ``FastAPIOffline``)."""
    options = {"openapi_url": None, "docs_url": None, "redoc_url": None, **docs}
    app = make(title=title, **options)
    app.state.ctx = context
    error_handlers.install(app, errors)
    return app

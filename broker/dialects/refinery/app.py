"""The USD Refinery sub-app, mounted at ``PREFIX`` by broker/app.py.

No routes yet: a path it does not know already answers in USD Refinery's error envelope, and
the routers of its issue are included here.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.refinery.errors import ERRORS

PREFIX = "/refinery"


def create_refinery_app(context: AppContext) -> FastAPI:
    return sub_app("meshfarm: USD Refinery API", context, ERRORS)

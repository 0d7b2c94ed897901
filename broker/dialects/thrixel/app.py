"""The Thrixel sub-app, mounted at ``PREFIX`` by broker/app.py.

No routes yet: a path it does not know already answers in Thrixel's error envelope, and
the routers of its issue are included here.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.thrixel.errors import ERRORS

PREFIX = "/thrixel"


def create_thrixel_app(context: AppContext) -> FastAPI:
    return sub_app("meshfarm: Thrixel API", context, ERRORS)

"""The Rigyd sub-app, mounted at ``PREFIX`` by broker/app.py.

No routes yet: a path it does not know already answers in Rigyd's error envelope, and
the routers of its issue are included here.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.api.sub_app import sub_app
from broker.context import AppContext
from broker.dialects.rigyd.errors import ERRORS

PREFIX = "/rigyd"


def create_rigyd_app(context: AppContext) -> FastAPI:
    return sub_app("meshfarm: Rigyd API", context, ERRORS)

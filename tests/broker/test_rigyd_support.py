"""Helpers of the Rigyd tests (no tests here): the API's base path and a key."""

from __future__ import annotations

from broker.context import AppContext
from broker.db.engine import transaction
from broker.dialects.rigyd.keys import issue_key

BASE = "/rigyd/api"


def new_key(ctx: AppContext, email: str = "ann@example.com", *, test: bool = False) -> str:
    with transaction(ctx.sessions) as session:
        return issue_key(session, email, test=test)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}

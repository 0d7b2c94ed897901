"""``GET /api/me`` (the key's user, as the ``rigyd`` SDK's ``me()`` and ``rigyd whoami``
read it) and ``GET /api/conversions/pricing`` (the credits of each job type)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from broker.api.deps import get_ctx
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Account
from broker.dialects.rigyd.auth import caller
from broker.dialects.rigyd.keys import Caller
from broker.errors import Unauthorized
from workers.catalogue import SIMREADY_PRICES

router = APIRouter(prefix="/api")
PLAN = "Pay as you go"
"""The farm sells credits, not subscriptions: every account is on the one plan."""


@router.get("/me")
def me(who: Caller = Depends(caller), ctx: AppContext = Depends(get_ctx)) -> dict[str, Any]:
    with transaction(ctx.sessions) as session:
        account = session.get(Account, who.account_id)
        if account is None:
            raise Unauthorized()
        user = {
            "id": account.id,
            "email": account.email,
            "username": account.email.partition("@")[0],
        }
        subscription = {
            "status": "active",
            "plan": {"name": PLAN},
            "credits_remaining": account.balance,
        }
    return {"data": {"user": user, "subscription": subscription}}


@router.get("/conversions/pricing")
def pricing(_: Caller = Depends(caller)) -> dict[str, Any]:
    """The catalogue's prices, read per request: Rigyd tells clients to ask, not to
    hard-code them."""
    return {"data": dict(SIMREADY_PRICES)}

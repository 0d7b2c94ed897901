"""GET /v1/account — the caller's account and credit balance."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Account
from broker.dialects.dxgl.schemas import AccountOut, Data
from broker.dialects.dxgl.views import account_out
from broker.errors import Unauthorized
from broker.security import Principal

router = APIRouter(tags=["account"])


@router.get("/account", response_model=Data[AccountOut])
def get_account(
    principal: Principal = Depends(require("account:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[AccountOut]:
    with transaction(ctx.sessions) as session:
        account = session.get(Account, principal.account_id)
        if account is None:
            raise Unauthorized()
        return Data(data=account_out(account))

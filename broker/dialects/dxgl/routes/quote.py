"""POST /v1/quote — what a set of renders would cost, before committing."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Account
from broker.dialects.dxgl.render_orders import render_order
from broker.dialects.dxgl.render_settings import parse_render_settings, to_spec
from broker.dialects.dxgl.schemas import Data, QuoteIn, QuoteLine, QuoteOut
from broker.errors import InvalidSettings, RendersRequired, TooMany, Unauthorized
from broker.security import Principal
from workers.specs import DatasetSpec

router = APIRouter(tags=["quote"])
MAX_ITEMS = 100


def _line(
    session: Session, ctx: AppContext, index: int, raw: object, principal: Principal
) -> QuoteLine:
    """An item is validated exactly as the render it stands for would be (so a quote never
    says ``sufficient`` for a render that would be refused); only the cost is kept. It is
    either render settings themselves or a batch item, ``{"modelId", "renderSettings"}``,
    with the same shapes and checks as ``/renders/batch`` (``renderSettings`` optional)."""
    where = f"renders[{index}]: "
    if not isinstance(raw, dict):
        raise InvalidSettings(f"renders[{index}] must be an object")
    if "modelId" in raw:
        spec = render_order(
            session,
            ctx.store,
            principal,
            raw,
            limits=ctx.asset_limits,
            where=where,
        ).spec
    else:
        if "renderSettings" in raw and set(raw) == {"renderSettings"}:
            raw = raw["renderSettings"]
        try:
            spec = to_spec(parse_render_settings(raw, is_admin=principal.is_admin), "")
        except InvalidSettings as exc:
            raise InvalidSettings(f"{where}{exc.detail}") from None
    if isinstance(spec, DatasetSpec):
        return QuoteLine(datasetQuality=spec.tier, credits=spec.credits)
    return QuoteLine(quality=spec.tier, credits=spec.credits)


@router.post("/quote", response_model=Data[QuoteOut], response_model_exclude_none=True)
def quote(
    body: QuoteIn = QuoteIn(),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[QuoteOut]:
    with transaction(ctx.sessions) as session:
        items = body.renders
        if not isinstance(items, list) or not items:
            raise RendersRequired()
        if len(items) > MAX_ITEMS:
            raise TooMany(f"Quote has {len(items)} items; the maximum is {MAX_ITEMS}")
        lines = [_line(session, ctx, i, raw, principal) for i, raw in enumerate(items)]
        account = session.get(Account, principal.account_id)
        if account is None:
            raise Unauthorized()
        required = sum(line.credits for line in lines)
        return Data(
            data=QuoteOut(
                creditsRequired=required,
                creditsAvailable=account.balance,
                sufficient=account.balance >= required,
                breakdown=lines,
            )
        )

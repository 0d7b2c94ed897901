"""POST /v1/quote — what a set of renders would cost, before committing."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Account
from broker.errors import InvalidSettings, RendersRequired, TooMany, Unauthorized
from broker.schemas.render_settings import parse_render_settings
from broker.schemas.resources import Data, QuoteIn, QuoteLine, QuoteOut
from broker.security import Principal

router = APIRouter(tags=["quote"])
MAX_ITEMS = 100


def _line(index: int, raw: object, principal: Principal) -> QuoteLine:
    """An item is validated exactly as a render's settings would be (so a quote never says
    ``sufficient`` for a render that would be refused); only the cost is kept. A batch
    item, ``{"modelId", "renderSettings"}``, is read by its settings."""
    if not isinstance(raw, dict):
        raise InvalidSettings(f"renders[{index}] must be an object")
    if "renderSettings" in raw and set(raw) <= {"modelId", "renderSettings"}:
        raw = raw["renderSettings"]
    try:
        settings = parse_render_settings(raw, is_admin=principal.is_admin)
    except InvalidSettings as exc:
        raise InvalidSettings(f"renders[{index}]: {exc.detail}") from None
    if settings.output == "dataset":
        return QuoteLine(datasetQuality=settings.datasetQuality, credits=settings.credits)
    return QuoteLine(quality=settings.quality, credits=settings.credits)


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
        lines = [_line(i, raw, principal) for i, raw in enumerate(items)]
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

"""POST /v1/quote — what a set of renders would cost, before committing."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, ValidationError

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Account
from broker.errors import InvalidSettings, RendersRequired, TooMany, Unauthorized
from broker.schemas.render_settings import (
    DATASET_CREDITS,
    QUALITY_CREDITS,
    DatasetQuality,
    Effect,
    Quality,
)
from broker.schemas.resources import Data, QuoteIn, QuoteLine, QuoteOut
from broker.security import Principal

router = APIRouter(tags=["quote"])
MAX_ITEMS = 100


class QuoteItem(BaseModel):
    """Only the cost-relevant render settings; the others are accepted and ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)
    quality: Quality = "share"
    output: Literal["video", "dataset"] = "video"
    effect: Effect | None = None
    datasetQuality: DatasetQuality | None = None


def _line(index: int, raw: object) -> QuoteLine:
    if not isinstance(raw, dict):
        raise InvalidSettings(f"renders[{index}] must be an object")
    try:
        item = QuoteItem.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidSettings(f"renders[{index}].{field}: {err['msg']}") from None
    if item.output == "dataset" or item.effect == "dataset":
        tier = item.datasetQuality or "100x800"
        return QuoteLine(datasetQuality=tier, credits=DATASET_CREDITS[tier])
    return QuoteLine(quality=item.quality, credits=QUALITY_CREDITS[item.quality])


@router.post("/quote", response_model=Data[QuoteOut], response_model_exclude_none=True)
def quote(
    body: QuoteIn,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Data[QuoteOut]:
    with transaction(ctx.sessions) as session:
        items = body.renders
        if not isinstance(items, list) or not items:
            raise RendersRequired()
        if len(items) > MAX_ITEMS:
            raise TooMany(f"Quote has {len(items)} items; the maximum is {MAX_ITEMS}")
        lines = [_line(i, raw) for i, raw in enumerate(items)]
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

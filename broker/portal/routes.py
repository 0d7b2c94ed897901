"""The portal's routes on the root app: its page at ``/``, its configuration, its session
cookie and the account's ledger (answered in dx.gl's envelope, like every root route)."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select

from broker.api.deps import get_ctx, require
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import CreditEntry, Job, Render
from broker.dialects.dxgl.pagination import Paging, page_of, paging
from broker.dialects.dxgl.render_settings import (
    EFFECT_DEFAULTS,
    MAX_ADMIN_LENGTH,
    MAX_LENGTH,
    RenderSettings,
)
from broker.dialects.dxgl.schemas import Page, Timestamped
from broker.portal.media_cookie import COOKIE, COOKIE_PATH
from broker.security import Principal
from exchange.formats import READ_SUFFIXES

STATIC = "/portal/static"
STATIC_DIR = Path(str(files("broker.portal") / "static"))
# The page is small and changes with each release: a browser asks again every time.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


@router.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers=NO_CACHE)


@router.get("/portal/config.json")
def config() -> dict[str, Any]:
    """What the API accepts, from the API's own code, so the page checks a file or a
    render's settings exactly as the server will (and never drifts from it)."""
    return {
        "uploadSuffixes": list(READ_SUFFIXES),
        "renderSettings": RenderSettings.model_json_schema(),
        "effectDefaults": EFFECT_DEFAULTS,
        "maxLength": MAX_LENGTH,
        "maxAdminLength": MAX_ADMIN_LENGTH,
    }


@router.post("/portal/session", status_code=204)
def sign_in(
    request: Request,
    response: Response,
    principal: Principal = Depends(require("account:read")),
) -> None:
    """The page signs in with the token it holds; the cookie carries it to the file routes
    (broker/portal/media_cookie.py). A session cookie: it ends with the browser."""
    token = request.headers["authorization"].partition(" ")[2].strip()
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.delete("/portal/session", status_code=204)
def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


class LedgerEntryOut(Timestamped):
    id: int
    kind: str
    delta: int
    note: str | None
    renderId: str | None
    modelId: str | None
    jobKind: str | None
    createdAt: datetime


@router.get("/portal/api/ledger", response_model=Page[LedgerEntryOut])
def ledger(
    page: Paging = Depends(paging),
    principal: Principal = Depends(require("account:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Page[LedgerEntryOut]:
    """The account's credit ledger, newest first: grants, and each job's reserve and its
    charge or refund, with the render it paid for."""
    mine = CreditEntry.account_id == principal.account_id
    with transaction(ctx.sessions) as session:
        total = session.scalar(select(func.count()).select_from(CreditEntry).where(mine)) or 0
        rows = session.execute(
            select(CreditEntry, Render.id, Render.model_id, Job.kind)
            .outerjoin(Job, Job.id == CreditEntry.job_id)
            .outerjoin(Render, Render.job_id == CreditEntry.job_id)
            .where(mine)
            .order_by(CreditEntry.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        ).all()
    entries = [
        LedgerEntryOut(
            id=entry.id,
            kind=entry.kind,
            delta=entry.delta,
            note=entry.note,
            renderId=render_id,
            modelId=model_id,
            jobKind=kind,
            createdAt=entry.created_at,
        )
        for entry, render_id, model_id, kind in rows
    ]
    return page_of(entries, total, page)

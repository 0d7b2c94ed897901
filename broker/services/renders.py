"""Render records: creation (with their queue jobs and credits), lookup, dismiss, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broker.db.models import Job, Model, Render
from broker.dialects.dxgl.render_settings import (
    RenderSettings,
    parse_render_settings,
    preview_settings,
)
from broker.errors import (
    InvalidSettings,
    InvalidTransition,
    ModelIdRequired,
    ModelNotFound,
    RenderNotFound,
)
from broker.ids import new_id
from broker.security import Principal
from broker.services import clips, credits
from broker.services import models as model_service
from broker.services import overlays as overlay_service
from broker.services.listing import newest_first
from workers.storage import ObjectStore

STATUSES = (
    "pending",
    "poster-processing",
    "poster-done",
    "video-processing",
    "done",
    "error",
    "failed",
)


@dataclass(frozen=True)
class RenderRequest:
    model: Model
    settings: RenderSettings


def _new_render(
    session: Session,
    model: Model,
    account_id: str,
    settings: dict[str, Any],
    *,
    credits_cost: int,
    preview: bool = False,
    batch_id: str | None = None,
) -> Render:
    render = Render(
        id=new_id(),
        model_id=model.id,
        account_id=account_id,
        status="pending",
        settings=settings,
        is_system_preview=preview,
        credits=credits_cost,
        batch_id=batch_id,
        assets={},
    )
    session.add(render)
    kind = (
        "preview" if preview else ("dataset" if settings.get("output") == "dataset" else "render")
    )
    session.add(Job(id=new_id(), render_id=render.id, kind=kind, priority=10 if preview else 0))
    return render


def render_request(
    session: Session,
    store: ObjectStore,
    principal: Principal,
    item: Any,
    *,
    max_json: int,
    where: str = "",
) -> RenderRequest:
    """One ``{"modelId", "renderSettings"}`` item (a render, a batch item, a batch-shaped
    quote item), checked as a render of it would be: the model, the settings, the
    background overlay and the animation clip. ``where`` prefixes messages (``renders[3]: ``)."""
    if not isinstance(item, dict):
        raise InvalidSettings(f"{where}each render must be an object")
    model_id = item.get("modelId")
    if model_id is None or model_id == "":
        raise ModelIdRequired(f"{where}Missing modelId field" if where else None)
    if not isinstance(model_id, str):
        raise ModelNotFound()
    unknown = set(item) - {"modelId", "renderSettings"}
    if unknown:
        raise InvalidSettings(f"{where}unknown field(s): {', '.join(sorted(unknown))}")
    model = model_service.get_model(session, principal, model_id)
    try:
        settings = parse_render_settings(item.get("renderSettings"), is_admin=principal.is_admin)
        settings = overlay_service.resolve_overlays(session, principal, settings)
        clips.check_animation(settings, store, model.storage_key, model.file_format, max_json)
    except InvalidSettings as exc:
        raise InvalidSettings(f"{where}{exc.detail}") from None
    return RenderRequest(model, settings)


def create_renders(
    session: Session, principal: Principal, requests: list[RenderRequest], *, batch: bool = False
) -> list[Render]:
    """Create the renders and charge their total atomically (all or nothing)."""
    batch_id = new_id() if batch else None
    renders = [
        _new_render(
            session,
            r.model,
            principal.account_id,
            r.settings.stored(),
            credits_cost=r.settings.credits,
            batch_id=batch_id,
        )
        for r in requests
    ]
    session.flush()
    credits.charge(session, principal.account_id, [(r.id, r.credits) for r in renders])
    return renders


def create_preview(session: Session, model: Model) -> Render:
    return _new_render(
        session, model, model.account_id, preview_settings(), credits_cost=0, preview=True
    )


def get_render(session: Session, principal: Principal, render_id: str) -> Render:
    render = session.scalar(
        select(Render).where(
            Render.id == render_id,
            Render.account_id == principal.account_id,
            Render.deleted_at.is_(None),
        )
    )
    if render is None:
        raise RenderNotFound()
    return render


def list_renders(
    session: Session,
    principal: Principal,
    *,
    model_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Render], int]:
    query = select(Render).where(
        Render.account_id == principal.account_id, Render.deleted_at.is_(None)
    )
    if model_id is not None:
        query = query.where(Render.model_id == model_id)
    if status is not None:
        query = query.where(Render.status == status)
    return newest_first(session, query, Render, limit=limit, offset=offset)


def renders_of_model(session: Session, model: Model) -> list[Render]:
    return list(
        session.scalars(
            select(Render)
            .where(Render.model_id == model.id, Render.deleted_at.is_(None))
            .order_by(Render.created_at, Render.id)
        ).all()
    )


def dismiss(session: Session, render: Render) -> Render:
    if render.status != "error":
        raise InvalidTransition(
            f"Only a render in status 'error' can be dismissed (this one is '{render.status}')"
        )
    render.status = "failed"
    render.updated_at = datetime.now(UTC)
    return render


def delete_render(session: Session, store: ObjectStore, render: Render) -> None:
    """Permanent: the row, its queue job and every file under the render's prefix."""
    session.execute(delete(Job).where(Job.render_id == render.id))
    session.delete(render)
    session.flush()
    store.delete_prefix(f"renders/{render.id}")

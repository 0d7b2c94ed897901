"""ORM rows to API shapes."""

from __future__ import annotations

from broker.db.models import Account, Model, Overlay, Render
from broker.schemas.resources import (
    AccountOut,
    ModelDetailOut,
    ModelOut,
    OverlayOut,
    RenderOut,
    RenderSummary,
    UploadOut,
)
from broker.services.uploads import UploadResult


def model_out(model: Model) -> ModelOut:
    return ModelOut(
        id=model.id,
        originalName=model.original_name,
        title=model.title,
        sku=model.sku,
        tags=[t.tag for t in model.tags],
        fileSize=model.file_size,
        sha256=model.sha256,
        archived=model.archived,
        createdAt=model.created_at,
    )


def model_detail_out(model: Model, renders: list[Render]) -> ModelDetailOut:
    return ModelDetailOut(
        **model_out(model).model_dump(),
        renders=[
            RenderSummary(
                id=r.id,
                status=r.status,
                renderSettings=r.settings,
                is_system_preview=r.is_system_preview,
                createdAt=r.created_at,
                updatedAt=r.updated_at,
            )
            for r in renders
        ],
    )


def render_out(render: Render) -> RenderOut:
    return RenderOut(
        id=render.id,
        modelId=render.model_id,
        status=render.status,
        renderSettings=render.settings,
        fileSize=render.file_size,
        errorMessage=render.error_message,
        hasWebVariant=render.has_web_variant,
        is_system_preview=render.is_system_preview,
        createdAt=render.created_at,
        updatedAt=render.updated_at,
    )


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id, email=account.email, credits=account.balance, isAdmin=account.is_admin
    )


def overlay_out(overlay: Overlay) -> OverlayOut:
    return OverlayOut(
        id=overlay.id,
        layer=overlay.layer,
        alignment=overlay.alignment,
        name=overlay.name,
        description=overlay.description,
        system=overlay.published,
        width=overlay.width,
        height=overlay.height,
        fileSize=overlay.file_size,
        createdAt=overlay.created_at,
    )


def upload_out(result: UploadResult) -> UploadOut:
    return UploadOut(modelId=result.model_id, renderId=result.render_id, duplicate=result.duplicate)

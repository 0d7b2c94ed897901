"""Models: storing an accepted upload, dedup by SHA-256, listing, tags, archive, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Model, ModelTag
from broker.errors import ModelNotFound
from broker.ids import new_id
from broker.security import Principal
from broker.services.listing import newest_first


def find_by_hash(session: Session, account_id: str, sha256: str) -> Model | None:
    return session.scalar(
        select(Model)
        .where(
            Model.account_id == account_id,
            Model.sha256 == sha256.lower(),
            Model.deleted_at.is_(None),
        )
        .order_by(Model.created_at)
        .limit(1)
    )


def new_model_id() -> str:
    return new_id()


def add_model(
    session: Session,
    *,
    model_id: str,
    account_id: str,
    original_name: str,
    size: int,
    sha256: str,
    file_format: str,
    storage_key: str,
    source_format: str | None = None,
    source_key: str | None = None,
) -> Model:
    """``size``, ``sha256`` and ``original_name`` describe the file as uploaded: in
    ``source_format`` at ``source_key`` when it was converted, else the stored file."""
    model = Model(
        id=model_id,
        account_id=account_id,
        original_name=original_name[:255] or "model",
        file_size=size,
        sha256=sha256,
        file_format=file_format,
        storage_key=storage_key,
        source_format=source_format or file_format,
        source_key=source_key or storage_key,
    )
    session.add(model)
    session.flush()
    return model


def get_model(session: Session, principal: Principal, model_id: str) -> Model:
    """The caller's own model; another account's model is indistinguishable from none."""
    model = session.scalar(
        select(Model).where(
            Model.id == model_id,
            Model.account_id == principal.account_id,
            Model.deleted_at.is_(None),
        )
    )
    if model is None:
        raise ModelNotFound()
    return model


def list_models(
    session: Session,
    principal: Principal,
    *,
    tags: list[str],
    archived: bool,
    limit: int,
    offset: int,
) -> tuple[list[Model], int]:
    query = select(Model).where(
        Model.account_id == principal.account_id,
        Model.deleted_at.is_(None),
        Model.archived.is_(archived),
    )
    if tags:
        tagged = select(ModelTag.model_id).where(ModelTag.tag.in_(tags))
        query = query.where(Model.id.in_(tagged))
    return newest_first(session, query, Model, limit=limit, offset=offset)


@dataclass(frozen=True)
class ModelChanges:
    """What a client changes on a model: only the fields in ``given`` (None clears one)."""

    given: frozenset[str]
    title: str | None = None
    sku: str | None = None
    tags: list[str] | None = None


def patch_model(session: Session, model: Model, patch: ModelChanges) -> Model:
    fields = patch.given
    if "title" in fields:
        model.title = patch.title
    if "sku" in fields:
        model.sku = patch.sku
    if "tags" in fields:
        model.tags.clear()
        session.flush()
        model.tags.extend(
            ModelTag(model_id=model.id, tag=tag, position=i)
            for i, tag in enumerate(patch.tags or [])
        )
    model.updated_at = datetime.now(UTC)
    return model


def set_archived(model: Model, archived: bool) -> Model:
    model.archived = archived
    model.updated_at = datetime.now(UTC)
    return model


def soft_delete(model: Model) -> None:
    model.deleted_at = datetime.now(UTC)
    model.updated_at = model.deleted_at

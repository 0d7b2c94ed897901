"""Overlays: storing a checked image, listing what an account may use, deleting its own,
and resolving a render's background image and environment to one of them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from broker.db.models import Overlay
from broker.errors import OverlayNotFound, SettingRejected
from broker.ids import new_id
from broker.ingest.image_check import CheckedImage
from broker.security import Principal
from broker.services.listing import newest_first
from workers.environments import BUILTIN_ENVIRONMENTS
from workers.specs import RenderSpec
from workers.storage import ObjectStore


def overlay_key(overlay_id: str, image_format: str) -> str:
    return f"overlays/{overlay_id}/image.{image_format}"


def add_overlay(
    session: Session,
    principal: Principal,
    *,
    overlay_id: str,
    image: CheckedImage,
    size: int,
    layer: str,
    alignment: str,
    name: str | None,
    description: str | None,
) -> Overlay:
    overlay = Overlay(
        id=overlay_id,
        account_id=principal.account_id,
        layer=layer,
        alignment=alignment,
        name=name,
        description=description,
        image_format=image.image_format,
        width=image.width,
        height=image.height,
        file_size=size,
        storage_key=overlay_key(overlay_id, image.image_format),
        published=False,
    )
    session.add(overlay)
    session.flush()
    return overlay


def new_overlay_id() -> str:
    return new_id()


def _visible(principal: Principal) -> ColumnElement[bool]:
    return or_(Overlay.account_id == principal.account_id, Overlay.published.is_(True))


def usable_overlay(session: Session, principal: Principal, overlay_id: str) -> Overlay | None:
    """The caller's own overlay or a published system one."""
    return session.scalar(select(Overlay).where(Overlay.id == overlay_id, _visible(principal)))


def list_overlays(
    session: Session, principal: Principal, *, layer: str | None, limit: int, offset: int
) -> tuple[list[Overlay], int]:
    query = select(Overlay).where(_visible(principal))
    if layer is not None:
        query = query.where(Overlay.layer == layer)
    return newest_first(session, query, Overlay, limit=limit, offset=offset)


def delete_overlay(
    session: Session, store: ObjectStore, principal: Principal, overlay_id: str
) -> Overlay:
    """Only the owner deletes; a system overlay of someone else is simply not found."""
    overlay = session.scalar(
        select(Overlay).where(Overlay.id == overlay_id, Overlay.account_id == principal.account_id)
    )
    if overlay is None:
        raise OverlayNotFound()
    session.delete(overlay)
    session.flush()
    store.delete(overlay.storage_key)
    return overlay


def set_published(session: Session, overlay_id: str, published: bool) -> Overlay:
    overlay = session.get(Overlay, overlay_id)
    if overlay is None:
        raise OverlayNotFound()
    overlay.published = published
    return overlay


def resolve_overlays(session: Session, principal: Principal, spec: RenderSpec) -> RenderSpec:
    """Check ``bg_image_id`` names a background overlay and ``environment`` a built-in
    environment or an environment overlay the caller may use.

    Without an explicit ``bg_align`` the overlay's own ``alignment`` is the crop anchor:
    it is what the overlay's owner chose for it.
    """
    _check_environment(session, principal, spec.environment)
    if spec.bg_image_id is None:
        return spec
    overlay = usable_overlay(session, principal, spec.bg_image_id)
    if overlay is None:
        raise SettingRejected("bg_image_id", f"overlay {spec.bg_image_id!r} not found")
    if overlay.layer != "background":
        raise SettingRejected("bg_image_id", f"overlay {overlay.id!r} is a {overlay.layer} overlay")
    if spec.bg_align is None:
        return spec.model_copy(update={"bg_align": overlay.alignment})
    return spec


def _check_environment(session: Session, principal: Principal, name: str | None) -> None:
    if name is None or name in BUILTIN_ENVIRONMENTS:
        return
    overlay = usable_overlay(session, principal, name)
    if overlay is None or overlay.layer != "environment":
        raise SettingRejected(
            "environment",
            f"{name!r} is neither a built-in environment "
            f"({', '.join(BUILTIN_ENVIRONMENTS)}) nor an environment overlay of yours",
        )

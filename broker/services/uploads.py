"""POST /v1/models behind the router: validate, dedup, store, record, charge.

Order matters for "nothing lost, nothing left behind": the file is validated on local
disk first, stored under its final key second, and the DB rows (model, free preview,
charged render) are written in one transaction last; if that transaction fails (e.g. no
credits) the stored object is removed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Overlay
from broker.errors import (
    FileTooLarge,
    InvalidFormat,
    InvalidUrl,
    UrlRequired,
)
from broker.ingest.errors import ZipTooLarge
from broker.ingest.image_check import CONTENT_TYPES as IMAGE_TYPES
from broker.ingest.image_check import CheckedImage, ImageInvalid, check_image
from broker.ingest.limits import ModelLimits
from broker.ingest.multipart import StagedUpload
from broker.ingest.url_fetch import FetchLimits, fetch_model
from broker.ingest.validate import (
    AcceptedModel,
    ModelInvalid,
    accept_model,
    content_type,
    refusal,
    upload_format,
)
from broker.security import Principal
from broker.services import models as model_service
from broker.services import overlays as overlay_service
from broker.services import renders as render_service
from workers.environments import InvalidEnvironment, environment_header
from workers.specs import DatasetSpec, RenderSpec

OVERLAY_TYPES = {**IMAGE_TYPES, "hdr": "image/vnd.radiance", "exr": "image/x-exr"}


@dataclass(frozen=True)
class UploadResult:
    model_id: str
    render_id: str
    duplicate: bool


SpecFor = Callable[[str], RenderSpec | DatasetSpec]
"""The render a client asked for with its upload, bound to the model's id once known."""


def _model_key(model_id: str, file_format: str) -> str:
    return f"models/{model_id}/original.{file_format}"


def _source_key(model_id: str, source_format: str) -> str:
    """Where an upload converted to GLB is kept as it was sent."""
    return f"models/{model_id}/source.{source_format}"


def model_format(staged: StagedUpload) -> str:
    """The upload's format from its name; refused first, before its settings are read."""
    file_format = upload_format(staged.filename)
    if file_format is None:
        raise InvalidFormat(refusal(staged.filename))
    return file_format


def checked_url(url: Any) -> str:
    if url is None or (isinstance(url, str) and not url.strip()):
        raise UrlRequired()
    if not isinstance(url, str):
        raise InvalidUrl("url must be a string")
    return url.strip()


def _check_overlays(ctx: AppContext, principal: Principal, spec_for: SpecFor) -> None:
    """Refused before a byte is downloaded: overlays the render names that are unusable."""
    with transaction(ctx.sessions) as session:
        _check_overlays_in(session, principal, spec_for)


async def ingest_url(
    ctx: AppContext, principal: Principal, url: str, spec_for: SpecFor
) -> UploadResult:
    """POST /v1/models/ingest: checked, fetched on the event loop, then stored as an upload."""
    await to_thread.run_sync(_check_overlays, ctx, principal, spec_for)
    checked = url
    s = ctx.settings
    limits = FetchLimits(s.max_upload_bytes, s.ingest_timeout_seconds, s.ingest_allow_private)
    staged = await fetch_model(checked, s.tmp_dir, limits)
    try:
        file_format = upload_format(staged.filename) or "glb"
        return await to_thread.run_sync(store_model, ctx, principal, staged, file_format, spec_for)
    finally:
        staged.discard()


def store_model(
    ctx: AppContext,
    principal: Principal,
    staged: StagedUpload,
    file_format: str,
    spec_for: SpecFor,
) -> UploadResult:
    """A staged model file (uploaded or fetched from a URL) → model, preview, charged render."""
    with transaction(ctx.sessions) as session:
        # For an ingest this is the second check: the overlay may have gone during the download.
        _check_overlays_in(session, principal, spec_for)
        duplicate = _render_duplicate(session, ctx, principal, staged.sha256, spec_for)
    if duplicate is not None:
        return duplicate
    s = ctx.settings
    try:
        accepted = accept_model(
            staged.path or Path(),
            file_format,
            filename=staged.filename,
            tmp_dir=s.tmp_dir,
            limits=ModelLimits.from_settings(s),
            blender_python=s.blender_python,
        )
    except ZipTooLarge as exc:
        raise FileTooLarge(f"File is too large: {exc}") from None
    except ModelInvalid as exc:
        raise InvalidFormat(f"File is not a valid {file_format.upper()} model: {exc}") from None
    model_id = model_service.new_model_id()
    key, source_key = _store_files(ctx, model_id, staged, accepted)
    keys = [key, source_key]
    try:
        try:
            with transaction(ctx.sessions) as session:
                model = model_service.add_model(
                    session,
                    model_id=model_id,
                    account_id=principal.account_id,
                    original_name=Path(staged.filename.replace("\\", "/")).name,
                    size=staged.size,  # the uploaded file's, like sha256 (an OBJ scan's ZIP)
                    sha256=staged.sha256,
                    file_format=accepted.file_format,
                    storage_key=key,
                    source_format=accepted.source_format,
                    source_key=source_key,
                )
                render_service.create_preview(session, model, max_attempts=s.max_attempts)
                order = render_service.order(
                    session,
                    ctx.store,
                    principal,
                    spec_for(model.id),
                    limits=ctx.asset_limits,
                )
                render = render_service.create_renders(
                    session, principal, [order], max_attempts=s.max_attempts
                )[0]
                return UploadResult(model.id, render.id, duplicate=False)
        except IntegrityError:
            # Another upload of this file committed its model first (the unique index on
            # account + SHA-256): this one is its duplicate, as if it had come second.
            with transaction(ctx.sessions) as session:
                duplicate = _render_duplicate(session, ctx, principal, staged.sha256, spec_for)
            if duplicate is None:
                raise
            _delete(ctx, keys)
            return duplicate
    except BaseException:
        _delete(ctx, keys)
        raise


def _store_files(
    ctx: AppContext, model_id: str, staged: StagedUpload, accepted: AcceptedModel
) -> tuple[str, str]:
    """The model's file and, when it was converted, the upload as sent beside it:
    (model key, upload key). If either cannot be stored, neither is left behind."""
    key = _model_key(model_id, accepted.file_format)
    source_key = _source_key(model_id, accepted.source_format) if accepted.converted else key
    try:
        ctx.store.put_file(key, accepted.path, content_type(accepted.file_format))
        if accepted.converted:
            upload = staged.path or Path()
            ctx.store.put_file(source_key, upload, content_type(accepted.source_format))
    except BaseException:
        _delete(ctx, [key, source_key])
        raise
    finally:
        if accepted.converted:
            accepted.path.unlink(missing_ok=True)
    return key, source_key


def _delete(ctx: AppContext, keys: list[str]) -> None:
    for key in dict.fromkeys(keys):
        ctx.store.delete(key)


def _check_overlays_in(session: Session, principal: Principal, spec_for: SpecFor) -> None:
    spec = spec_for("")
    if isinstance(spec, RenderSpec):
        overlay_service.resolve_overlays(session, principal, spec)


def _render_duplicate(
    session: Session, ctx: AppContext, principal: Principal, sha256: str, spec_for: SpecFor
) -> UploadResult | None:
    """The charged render of an upload whose file the account already has, if it has."""
    existing = model_service.find_by_hash(session, principal.account_id, sha256)
    if existing is None:
        return None
    s = ctx.settings
    order = render_service.order(
        session, ctx.store, principal, spec_for(existing.id), limits=ctx.asset_limits
    )
    render = render_service.create_renders(
        session, principal, [order], max_attempts=s.max_attempts
    )[0]
    return UploadResult(existing.id, render.id, duplicate=True)


@dataclass(frozen=True)
class OverlayRequest:
    """What a client says about the overlay it uploads."""

    layer: str
    alignment: str
    name: str | None
    description: str | None


def _checked_overlay_file(
    staged: StagedUpload, layer: str, max_image_bytes: int, max_environment_bytes: int
) -> CheckedImage:
    """An image is decoded in full; an environment map's header is read (its float pixels
    are decoded by the worker that renders with it: workers/environments.py)."""
    path = staged.path or Path()
    if layer == "environment":
        if staged.size > max_environment_bytes:
            limit = max_environment_bytes // (1024 * 1024)
            raise FileTooLarge(f"File exceeds the {limit} MB environment map limit")
        try:
            header = environment_header(path)
        except InvalidEnvironment as exc:
            raise InvalidFormat(f"File is not a usable environment map: {exc}") from None
        return CheckedImage(header.image_format, header.width, header.height)
    if staged.size > max_image_bytes:
        raise FileTooLarge(f"File exceeds the {max_image_bytes // (1024 * 1024)} MB image limit")
    try:
        return check_image(path)
    except ImageInvalid as exc:
        raise InvalidFormat(f"File is not a PNG, JPEG or WebP image: {exc}") from None


def store_overlay(
    ctx: AppContext,
    principal: Principal,
    staged: StagedUpload,
    fields: OverlayRequest,
    *,
    max_image_bytes: int,
    max_environment_bytes: int,
) -> Overlay:
    """Check the file, store it, then record it (removed again on failure)."""
    image = _checked_overlay_file(staged, fields.layer, max_image_bytes, max_environment_bytes)
    overlay_id = overlay_service.new_overlay_id()
    key = overlay_service.overlay_key(overlay_id, image.image_format)
    content_type = OVERLAY_TYPES[image.image_format]
    size = ctx.store.put_file(key, staged.path or Path(), content_type)
    name = fields.name
    if name is None:
        name = Path(staged.filename.replace("\\", "/")).stem[:100] or None
    try:
        with transaction(ctx.sessions) as session:
            return overlay_service.add_overlay(
                session,
                principal,
                overlay_id=overlay_id,
                image=image,
                size=size,
                layer=fields.layer,
                alignment=fields.alignment,
                name=name,
                description=fields.description,
            )
    except BaseException:
        ctx.store.delete(key)
        raise

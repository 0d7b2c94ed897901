"""/v1/renders/:id/{video,poster,thumb,bundle} — the files of a render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from broker.api.deps import get_ctx, require
from broker.api.downloads import serve_object, zip_response
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import Render
from broker.dialects.dxgl.errors import envelope
from broker.errors import (
    ApiError,
    DatasetHasNoVideo,
    InvalidRequest,
    PosterNotFound,
    ThumbNotFound,
    VideoNotFound,
)
from broker.security import Principal
from broker.services import renders as render_service

router = APIRouter(prefix="/renders", tags=["assets"])
BINARY: dict[str, Any] = {"content": {"video/mp4": {}, "video/quicktime": {}, "image/png": {}}}


def _render(ctx: AppContext, principal: Principal, render_id: str) -> Render:
    with transaction(ctx.sessions) as session:
        return render_service.get_render(session, principal, render_id)


def _media_assets(render: Render) -> dict[str, Any]:
    """A dataset render never gets a video, poster or thumbnail: say so rather than
    "not yet available", which would keep a client polling forever."""
    if render.job.kind == "dataset":
        raise DatasetHasNoVideo(
            f"Render {render.id} is a dataset export: it has no video, poster or thumbnail; "
            f"download the dataset ZIP from /v1/renders/{render.id}/bundle"
        )
    return dict(render.assets or {})


def _variant(quality: str | None, allowed: str, endpoint: str) -> bool:
    """Whether the documented ``?quality=`` variant was asked for; empty means absent."""
    if not quality:
        return False
    if quality != allowed:
        raise InvalidRequest(
            f"quality: {endpoint} accepts only quality={allowed!r} "
            f"(or no quality for the default), not {quality[:40]!r}"
        )
    return True


def _serve(
    ctx: AppContext,
    request: Request,
    asset: dict[str, Any] | None,
    missing: type[ApiError],
) -> Response:
    if asset is None:
        raise missing()
    try:
        return serve_object(
            ctx.store, asset["key"], request, media_type=asset["content_type"], envelope=envelope
        )
    except FileNotFoundError:
        raise missing() from None


def _quality(allowed: str, description: str) -> Any:
    return Query(None, description=description, json_schema_extra={"enum": [allowed]})


@router.get("/{render_id}/video", response_class=Response, responses={200: BINARY, 206: BINARY})
def video(
    render_id: str,
    request: Request,
    quality: str | None = _quality("web", "web: the lighter MP4 variant"),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    web = _variant(quality, "web", "/video")
    assets = _media_assets(_render(ctx, principal, render_id))
    return _serve(ctx, request, assets.get("web" if web else "video"), VideoNotFound)


@router.get("/{render_id}/poster", response_class=Response, responses={200: BINARY, 206: BINARY})
def poster(
    render_id: str,
    request: Request,
    quality: str | None = _quality("full", "full: video-size PNG"),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    full = _variant(quality, "full", "/poster")
    assets = _media_assets(_render(ctx, principal, render_id))
    return _serve(ctx, request, assets.get("poster_full" if full else "poster"), PosterNotFound)


@router.get("/{render_id}/thumb", response_class=Response, responses={200: BINARY, 206: BINARY})
def thumb(
    render_id: str,
    request: Request,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = _media_assets(_render(ctx, principal, render_id))
    return _serve(ctx, request, assets.get("thumb"), ThumbNotFound)


@router.get(
    "/{render_id}/bundle",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def bundle(
    render_id: str,
    request: Request,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = dict(_render(ctx, principal, render_id).assets or {})
    lost = VideoNotFound("The render's files are missing from storage")
    if "dataset" in assets:
        try:
            return serve_object(
                ctx.store,
                assets["dataset"]["key"],
                request,
                media_type="application/zip",
                filename=f"{render_id}-dataset.zip",
                envelope=envelope,
            )
        except FileNotFoundError:
            raise lost from None
    video_asset = assets.get("video")
    if video_asset is None or "thumb" not in assets or "poster_full" not in assets:
        raise VideoNotFound("The render's files are not ready yet")
    extension = "mov" if video_asset["content_type"] == "video/quicktime" else "mp4"
    members = [(f"video.{extension}", video_asset)]
    if "web" in assets:
        members.append(("web.mp4", assets["web"]))
    members += [("poster.png", assets["poster_full"]), ("thumb.mp4", assets["thumb"])]
    try:
        return zip_response(ctx.store, members, f"{render_id}.zip", request)
    except FileNotFoundError:
        raise lost from None

"""/v1/renders/:id/{video,poster,thumb,bundle} — the files of a render."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from broker.api.deps import get_ctx, require
from broker.api.downloads import serve_object, zip_response
from broker.context import AppContext
from broker.db.engine import transaction
from broker.errors import ApiError, PosterNotFound, ThumbNotFound, VideoNotFound
from broker.security import Principal
from broker.services import renders as render_service

router = APIRouter(prefix="/renders", tags=["assets"])
BINARY: dict[str, Any] = {"content": {"video/mp4": {}, "video/quicktime": {}, "image/png": {}}}


def _assets(ctx: AppContext, principal: Principal, render_id: str) -> dict[str, Any]:
    with transaction(ctx.sessions) as session:
        return dict(render_service.get_render(session, principal, render_id).assets or {})


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
            ctx.store,
            asset["key"],
            media_type=asset["content_type"],
            range_header=request.headers.get("range"),
        )
    except FileNotFoundError:
        raise missing() from None


@router.get("/{render_id}/video", response_class=Response, responses={200: BINARY, 206: BINARY})
def video(
    render_id: str,
    request: Request,
    quality: Literal["web"] | None = Query(None, description="web: the lighter MP4 variant"),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = _assets(ctx, principal, render_id)
    return _serve(ctx, request, assets.get("web" if quality == "web" else "video"), VideoNotFound)


@router.get("/{render_id}/poster", response_class=Response, responses={200: BINARY})
def poster(
    render_id: str,
    request: Request,
    quality: Literal["full"] | None = Query(None, description="full: video-size PNG"),
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = _assets(ctx, principal, render_id)
    name = "poster_full" if quality == "full" else "poster"
    return _serve(ctx, request, assets.get(name), PosterNotFound)


@router.get("/{render_id}/thumb", response_class=Response, responses={200: BINARY, 206: BINARY})
def thumb(
    render_id: str,
    request: Request,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = _assets(ctx, principal, render_id)
    return _serve(ctx, request, assets.get("thumb"), ThumbNotFound)


@router.get(
    "/{render_id}/bundle",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def bundle(
    render_id: str,
    principal: Principal = Depends(require("renders:read")),
    ctx: AppContext = Depends(get_ctx),
) -> Response:
    assets = _assets(ctx, principal, render_id)
    lost = VideoNotFound("The render's files are missing from storage")
    if "dataset" in assets:
        try:
            return serve_object(
                ctx.store,
                assets["dataset"]["key"],
                media_type="application/zip",
                range_header=None,
                filename=f"{render_id}-dataset.zip",
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
        return zip_response(ctx.store, members, f"{render_id}.zip")
    except FileNotFoundError:
        raise lost from None

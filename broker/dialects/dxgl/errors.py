"""dx.gl's error vocabulary: ``{"error": {"code", "message", "status"}}`` and its codes.

One row per domain error, as the dx.gl documentation names them (a message is the default
when the raiser gave none); the framework's own errors by status. A test checks that every
error class of :mod:`broker.errors` resolves to a row here.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse

from broker import errors as e
from broker.api.error_handlers import ErrorDialect, Row
from broker.dialects.dxgl.render_settings import rejected

TABLE: dict[type[e.DomainError], Row] = {
    e.Unauthorized: (401, "unauthorized", "Missing, invalid or revoked token"),
    e.TokenExpired: (401, "token_expired", "Token has expired"),
    e.Forbidden: (403, "forbidden", "Account suspended"),
    e.InsufficientScope: (403, "insufficient_scope", "Token lacks required scope"),
    e.NoFile: (400, "no_file", "No file in upload request"),
    e.InvalidFormat: (400, "invalid_format", "File is not .glb, .gltf, or .zip"),
    e.InvalidSettings: (400, "invalid_settings", "Invalid renderSettings value"),
    e.InvalidRequest: (400, "invalid_request", "Invalid request"),
    e.InvalidUrl: (400, "invalid_url", "Malformed URL"),
    e.ModelIdRequired: (400, "model_id_required", "Missing modelId field"),
    e.UrlRequired: (400, "url_required", "Missing url field"),
    e.Sha256Required: (400, "sha256_required", "Missing sha256 field"),
    e.RendersRequired: (400, "renders_required", "Missing or empty renders array"),
    e.TooMany: (400, "too_many", "Batch exceeds 100 renders"),
    e.FileTooLarge: (400, "file_too_large", "File exceeds 100 MB limit"),
    e.PayloadTooLarge: (413, "payload_too_large", "Request body too large"),
    e.NoCredits: (402, "no_credits", "No render credits remaining"),
    e.ModelNotFound: (404, "model_not_found", "Model not found"),
    e.RenderNotFound: (404, "render_not_found", "Render not found"),
    e.OverlayNotFound: (404, "overlay_not_found", "Overlay not found"),
    e.JobNotFound: (404, "job_not_found", "Job not found"),
    e.FileNotFound: (404, "file_not_found", "Model file not found in storage"),
    e.VideoNotFound: (404, "video_not_found", "Video not yet available"),
    e.PosterNotFound: (404, "poster_not_found", "Poster not yet available"),
    e.ThumbNotFound: (404, "thumb_not_found", "Thumbnail not yet available"),
    e.DatasetHasNoVideo: (
        404,
        "dataset_has_no_video",
        "A dataset render has no video, poster or thumbnail",
    ),
    e.UrlTimeout: (408, "timeout", "URL download timed out"),
    e.InvalidTransition: (409, "invalid_transition", "Render is not in a state that allows this"),
    e.InternalError: (500, "internal", "Internal server error"),
    e.ServiceUnavailable: (503, "service_unavailable", "Service unavailable"),
    e.DatabaseBusy: (
        503,
        "service_unavailable",
        "The database is busy or unreachable; retry shortly",
    ),
}

# The framework's own errors (no route, wrong method, ...): a code per status.
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}


def envelope(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status}},
        status_code=status,
        headers=headers,
    )


def reword(exc: e.DomainError) -> str | None:
    """A refused spec field, named as a dx.gl client named it (``renderSettings.bgImageId``)."""
    return rejected(exc).detail if isinstance(exc, e.SettingRejected) else None


ERRORS = ErrorDialect(envelope, TABLE, HTTP_CODES, reword)

"""One exception tree for every answer the farm refuses, carrying dx.gl's error code.

The farm answers errors as ``{"error": {"code", "message", "status"}}``; each is raised as
the class of its status (a ``no_credits`` 402 is :class:`NoCredits`), with ``code``,
``message`` and ``status`` as the farm sent them, so a caller can catch broadly
(:class:`ApiError`) or narrowly (:class:`NotFound`) and still read the exact code.
"""

from __future__ import annotations

from typing import Any


class MeshfarmError(Exception):
    """Anything the client raises on purpose."""


class TransportError(MeshfarmError):
    """The farm could not be reached (refused, reset, timed out) after every retry."""


class ApiError(MeshfarmError):
    """The farm answered with an error envelope (or a non-JSON error page)."""

    def __init__(self, code: str, message: str, status: int, *, retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


class InvalidRequest(ApiError):
    """400: a field, a setting or the file itself was refused (``invalid_settings`` ...)."""


class AuthenticationError(ApiError):
    """401: the token is missing, unknown, revoked or expired."""


class NoCredits(ApiError):
    """402: the account cannot pay for the renders asked for."""


class PermissionDenied(ApiError):
    """403: the account is suspended or the token lacks the scope."""


class NotFound(ApiError):
    """404: no such model or render in this account, or its file is not ready."""


class Conflict(ApiError):
    """409: the resource is not in a state that allows this (or a request with the same
    Idempotency-Key is still running, ``idempotency_in_progress``)."""


class IdempotencyKeyReused(ApiError):
    """422 ``idempotency_key_reused``: the key was used for another request."""


class RateLimited(ApiError):
    """429."""


class ServerError(ApiError):
    """5xx: the farm failed or is busy (``service_unavailable``)."""


class RenderFailed(MeshfarmError):
    """A render the client waited for ended in ``error`` (or was dismissed)."""

    def __init__(self, render_id: str, message: str | None):
        super().__init__(f"render {render_id} failed: {message or 'no reason given'}")
        self.render_id = render_id
        self.message = message


BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    402: NoCredits,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: IdempotencyKeyReused,
    429: RateLimited,
}


def api_error(status: int, body: Any, retry_after: float | None = None) -> ApiError:
    """The exception for an error answer; ``body`` is its parsed JSON (or anything else)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = str(error.get("code", "unknown")), str(error.get("message", ""))
    else:
        code, message = "unknown", f"HTTP {status}"
    kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    if status == 422 and code != "idempotency_key_reused":
        kind = InvalidRequest
    return kind(code, message, status, retry_after=retry_after)

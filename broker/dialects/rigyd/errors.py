"""Rigyd's error vocabulary: ``{"error": message}`` with the statuses its Errors page lists.

Rigyd has no error codes, only statuses and messages, so each row's code is never sent.
Where the seed words an error one way whatever meshfarm's reason (a missing job, spent
credits), :func:`reword` says it so.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse

from broker import errors as e
from broker.api.error_handlers import ErrorDialect, Row


class AuthenticationRequired(e.Unauthorized):
    """No key at all: Rigyd words it apart from a key that does not work."""

    message = "Authentication required"


TABLE: dict[type[e.DomainError], Row] = {
    e.InvalidInput: (400, "bad_request", "Bad request"),
    AuthenticationRequired: (401, "unauthorized", "Authentication required"),
    e.AuthError: (401, "unauthorized", "Invalid API key"),
    e.NoCredits: (402, "no_credits", "Insufficient credits"),
    e.Unprocessable: (422, "unprocessable", "The request cannot be processed"),
    e.NotFound: (404, "not_found", "Not found"),
    e.Conflict: (409, "conflict", "Wrong job state"),
    e.TooLarge: (413, "too_large", "Upload too large"),
    e.InternalError: (500, "internal", "Internal server error"),
    e.Unavailable: (502, "unavailable", "Conversion service unavailable"),
    e.DatabaseBusy: (503, "unavailable", "Service busy; retry shortly"),
}


def envelope(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


OWN_WORDS = ("broker.dialects.rigyd.", "broker.services.simready")
"""Errors raised here and by the SimReady service say the seed's words in their class's
message (e.g. "Cannot simulate a simulation job"), which a row's group default would hide."""


def reword(exc: e.DomainError) -> str | None:
    if type(exc).__module__.startswith(OWN_WORDS):
        return exc.detail
    if isinstance(exc, e.JobNotFound):
        return "Conversion job not found"
    if isinstance(exc, e.NoCredits):
        return "Insufficient credits"
    return None


ERRORS = ErrorDialect(envelope, TABLE, reword=reword)

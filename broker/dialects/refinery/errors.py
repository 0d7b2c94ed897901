"""USD Refinery's error vocabulary: the statuses of its Error Codes table.

Its documentation lists statuses and meanings but shows no error body; the service is a
FastAPI one (``/api/v1/...``, ``?api_key=``), whose clients read ``{"detail": message}``,
so that is the envelope. A spent monthly quota is its 429.
"""

from __future__ import annotations

from broker import errors as e
from broker.api.error_handlers import ErrorDialect, Row, detail_envelope

TABLE: dict[type[e.DomainError], Row] = {
    e.InvalidInput: (400, "invalid_request", "Unsupported format or invalid request"),
    e.AuthError: (401, "unauthorized", "Missing or invalid API key"),
    e.Forbidden: (403, "forbidden", "API key revoked or inactive"),
    e.NotFound: (404, "not_found", "Job not found"),
    e.Conflict: (409, "conflict", "The job is not in a state that allows this"),
    e.TooLarge: (413, "too_large", "File exceeds tier size limit"),
    e.NoCredits: (429, "quota", "Monthly conversion limit reached"),
    e.InternalError: (500, "internal", "Internal server error"),
    e.Unavailable: (503, "unavailable", "Service unavailable; retry shortly"),
}

ERRORS = ErrorDialect(detail_envelope, TABLE)


class QuotaReached(e.NoCredits, e.Unavailable):
    """The key's monthly conversions are spent: 429, with ``Retry-After`` the seconds to
    the first of next month (UTC), when the quota starts again."""

    message = "Monthly conversion limit reached"

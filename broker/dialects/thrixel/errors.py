"""Thrixel's error vocabulary: the statuses its download API names (409 not ready yet,
410 the conversion failed, with the routes that answer them).

Its documentation shows no error body; the API is a FastAPI one (typed path and query
parameter tables), whose clients read ``{"detail": message}``, so that is the envelope.
"""

from __future__ import annotations

from broker import errors as e
from broker.api.error_handlers import ErrorDialect, Row, detail_envelope

TABLE: dict[type[e.DomainError], Row] = {
    e.InvalidInput: (400, "invalid_request", "Invalid request"),
    e.AuthError: (401, "unauthorized", "Not authenticated"),
    e.Forbidden: (403, "forbidden", "Not allowed"),
    e.NoCredits: (402, "no_credits", "No credits remaining"),
    e.NotFound: (404, "not_found", "Not found"),
    e.Conflict: (409, "conflict", "Conversion is not ready"),
    e.TooLarge: (413, "too_large", "Request too large"),
    e.InternalError: (500, "internal", "Internal server error"),
    e.Unavailable: (503, "unavailable", "Service unavailable; retry shortly"),
}

ERRORS = ErrorDialect(detail_envelope, TABLE)

"""One exception tree for meshfarm's use cases, in the domain's words and nothing else.

Services, ingest and routes raise these; no HTTP status, header or vendor code lives here.
Each dialect (``broker/dialects/*/errors.py``) maps the tree onto its own envelope and codes
in one table, looked up along the class's MRO, so a subclass without a row of its own is
answered as its group. The groups (:class:`NotFound`, :class:`InvalidInput`, ...) are what
a dialect with a coarse vocabulary maps; the leaves are what dx.gl names one by one.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Something a client can be told about its request.

    ``detail`` is what to tell: the raiser's own words, else the class's ``message``.
    ``specific`` keeps only the raiser's words (``None`` when it gave none), so a dialect
    answers with its own wording of the default instead.
    """

    message: ClassVar[str] = "The request cannot be completed"

    def __init__(self, detail: str | None = None) -> None:
        self.specific = detail or None
        self.detail = detail or self.message
        super().__init__(self.detail)


# The name the API layer used before the tree went dialect-free; callers catch it.
ApiError = DomainError


class InternalError(DomainError):
    """A fault of the server's, not of the request: said without saying what or where."""

    message = "Internal server error"


# --- the request names something that does not exist ------------------------------------


class NotFound(DomainError):
    message = "Not found"


class ModelNotFound(NotFound):
    message = "Model not found"


class RenderNotFound(NotFound):
    message = "Render not found"


class JobNotFound(NotFound):
    message = "Job not found"


class OverlayNotFound(NotFound):
    message = "Overlay not found"


class FileNotFound(NotFound):
    """The model's row exists but its stored file does not."""

    message = "Model file not found in storage"


class VideoNotFound(NotFound):
    message = "Video not yet available"


class PosterNotFound(NotFound):
    message = "Poster not yet available"


class ThumbNotFound(NotFound):
    message = "Thumbnail not yet available"


class DatasetHasNoVideo(NotFound):
    message = "A dataset render has no video, poster or thumbnail"


# --- the request itself is wrong ----------------------------------------------------------


class InvalidInput(DomainError):
    message = "Invalid request"


class InvalidRequest(InvalidInput):
    message = "Invalid request"


class Unprocessable(InvalidRequest):
    """Well-formed, but the fields cannot be honoured together (a prompt and images; a
    simulation of a simulation)."""

    message = "The request cannot be processed"


class InvalidSettings(InvalidInput):
    message = "Invalid render settings"


class SettingRejected(InvalidSettings):
    """A service's refusal of one job-spec field (``field`` in the spec's own name); a
    dialect rewords it with its own name for the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidFormat(InvalidInput):
    message = "Unsupported file format"


class InvalidUrl(InvalidInput):
    message = "Malformed URL"


class NoFile(InvalidInput):
    message = "No file in the upload"


class ModelIdRequired(InvalidInput):
    message = "A model id is required"


class UrlRequired(InvalidInput):
    message = "A URL is required"


class Sha256Required(InvalidInput):
    message = "A SHA-256 digest is required"


class RendersRequired(InvalidInput):
    message = "No renders requested"


class TooMany(InvalidInput):
    message = "Too many items in one request"


class TooLarge(InvalidInput):
    message = "Too large"


class FileTooLarge(TooLarge):
    message = "File exceeds the size limit"


class PayloadTooLarge(TooLarge):
    """A request body over the limit for bodies read into memory (not an upload)."""

    message = "Request body exceeds the size limit"


# --- who is asking ------------------------------------------------------------------------


class AuthError(DomainError):
    message = "Not allowed"


class Unauthorized(AuthError):
    """No credential, or one the farm does not know (or that was revoked)."""

    message = "Missing, invalid or revoked token"


class TokenExpired(Unauthorized):
    message = "Token has expired"


class Forbidden(AuthError):
    """A known caller that may not do this."""

    message = "Account suspended"


class InsufficientScope(Forbidden):
    message = "Token lacks required scope"


# --- state and money ----------------------------------------------------------------------


class Conflict(DomainError):
    message = "The resource is not in a state that allows this"


class InvalidTransition(Conflict):
    message = "Render is not in a state that allows this"


class NoCredits(DomainError):
    message = "No render credits remaining"


# --- the farm or something it depends on cannot answer now -------------------------------

# How long a client is asked to wait when the database is locked or unreachable.
RETRY_AFTER_SECONDS = 2


class Unavailable(DomainError):
    """Worth retrying; ``retry_after`` is how many seconds to wait, when known."""

    message = "Service unavailable"
    default_retry_after: ClassVar[int | None] = None

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = self.default_retry_after if retry_after is None else retry_after


class ServiceUnavailable(Unavailable):
    message = "Service unavailable"


class DatabaseBusy(Unavailable):
    """A lock another connection holds, a server that is down, or no free connection."""

    message = "The database is busy or unreachable; retry shortly"
    default_retry_after = RETRY_AFTER_SECONDS


class UrlTimeout(Unavailable):
    """The remote server of a URL ingest did not deliver in time."""

    message = "URL download timed out"

"""The meshfarm client SDK: talks to a farm over its dx.gl v1 API and nothing else.

``Client`` (sync) and ``AsyncClient`` (async) make the calls; ``meshfarm client …`` is the
command line over them (docs/client.md)."""

from meshfarm_client._http import RetryPolicy
from meshfarm_client.aio import AsyncClient
from meshfarm_client.client import Client
from meshfarm_client.config import Credentials, NotLoggedIn
from meshfarm_client.errors import (
    ApiError,
    AuthenticationError,
    Conflict,
    IdempotencyKeyReused,
    InvalidRequest,
    MeshfarmError,
    NoCredits,
    NotFound,
    PermissionDenied,
    RateLimited,
    RenderFailed,
    ServerError,
    TransportError,
)
from meshfarm_client.models import (
    Account,
    BatchItem,
    Model,
    ModelDetail,
    Page,
    Quote,
    Render,
    RenderSettings,
    Upload,
)

__all__ = [
    "Account",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BatchItem",
    "Client",
    "Conflict",
    "Credentials",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "MeshfarmError",
    "Model",
    "ModelDetail",
    "NoCredits",
    "NotFound",
    "NotLoggedIn",
    "Page",
    "PermissionDenied",
    "Quote",
    "RateLimited",
    "Render",
    "RenderFailed",
    "RenderSettings",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "Upload",
]

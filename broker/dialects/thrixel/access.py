"""Who may reach a submission: anyone when its owner made the model public, else only its
owner's dx.gl token; everything else is answered as a submission that does not exist.

The seed's endpoints are public, but a self-hosted farm must not publish every upload, so a
model is private until ``PATCH /v1/models/:id {"public": true}``. A token is optional; one
that is given must be valid (401 otherwise), so a client learns its token is wrong instead
of reading a 404 for its own model.
"""

from __future__ import annotations

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.api.deps import authenticate, bearer, get_ctx
from broker.context import AppContext
from broker.db.models import Conversion, Model
from broker.errors import InsufficientScope, JobNotFound, NotFound
from broker.security import Principal, has_scope

SCOPE = "models:read"


def caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ctx: AppContext = Depends(get_ctx),
) -> Principal | None:
    """The owner's token when one is sent (it must be valid and may read models)."""
    if credentials is None:
        return None
    with ctx.sessions() as session:
        principal = authenticate(session, credentials.credentials)
    if not has_scope(principal.scopes, SCOPE):
        raise InsufficientScope(f"This token lacks the '{SCOPE}' scope")
    return principal


def may_reach(model: Model, principal: Principal | None) -> bool:
    if model.deleted_at is not None:
        return False
    return model.public or (principal is not None and principal.account_id == model.account_id)


def submission(session: Session, principal: Principal | None, submission_id: str) -> Model:
    """The model with this id when the caller may reach it (ids are dx.gl's, not UUIDs)."""
    model = session.get(Model, submission_id)
    if model is None or not may_reach(model, principal):
        raise NotFound("Submission not found")
    return model


def submission_of(session: Session, principal: Principal | None, conversion: Conversion) -> Model:
    """The reachable model a conversion is of. The cache shares a conversion between models
    with the same stored bytes (another account's upload of the same file), and its row
    names the stored file it converted: the model stored there, or one stored as uploaded
    with the same SHA-256. A conversion of no model (a Refinery upload) is not found."""
    if conversion.cache_key is None:
        raise JobNotFound("Conversion job not found")
    origin = session.scalar(
        select(Model).where(Model.storage_key == conversion.source_key).limit(1)
    )
    if origin is None:
        raise JobNotFound("Conversion job not found")
    candidates = [origin]
    if origin.source_key == origin.storage_key:
        candidates += session.scalars(
            select(Model)
            .where(
                Model.sha256 == origin.sha256,
                Model.source_key == Model.storage_key,
                Model.id != origin.id,
            )
            .order_by(Model.created_at)
        ).all()
    found = next((m for m in candidates if may_reach(m, principal)), None)
    if found is None:
        raise JobNotFound("Conversion job not found")
    return found

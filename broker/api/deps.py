"""Request dependencies: the app context, a DB transaction, and the authenticated account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from broker.api.quick_reads import quick_read
from broker.context import AppContext
from broker.db.engine import reading
from broker.db.models import Account, ApiToken, as_utc
from broker.errors import Forbidden, InsufficientScope, TokenExpired, Unauthorized
from broker.security import (
    TOKEN_PREFIX,
    Principal,
    has_scope,
    hash_token,
    hashes_match,
    token_prefix,
)

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer dxgl_sk_...")
# ``last_used_at`` is written at most once a minute per token: one write per request would
# serialise every request behind SQLite's write lock for a timestamp nobody reads that finely.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def authenticate(session: Session, raw: str | None) -> Principal:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        raise Unauthorized()
    digest = hash_token(raw)
    # The token and its account in one query: every authenticated request makes it.
    candidates = session.execute(
        select(ApiToken, Account)
        .join(Account, Account.id == ApiToken.account_id)
        .where(ApiToken.prefix == token_prefix(raw))
    ).tuples()
    found = next(((t, a) for t, a in candidates if hashes_match(t.token_hash, digest)), None)
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized()
    token, account = found
    if token.expires_at is not None and as_utc(token.expires_at) <= datetime.now(UTC):
        raise TokenExpired()
    if account.suspended:
        raise Forbidden()
    _mark_used(session, token)
    return Principal(account.id, account.is_admin, token.scopes)


def _mark_used(session: Session, token: ApiToken) -> None:
    """Best effort: a busy database costs the timestamp, never the request."""
    now = datetime.now(UTC)
    if token.last_used_at is not None and as_utc(token.last_used_at) > now - LAST_USED_RESOLUTION:
        return
    try:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at <= now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            # No in-Python re-evaluation: SQLite hands back naive datetimes, `now` is aware.
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except OperationalError:
        session.rollback()


def _authenticate(ctx: AppContext, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    # A read: _mark_used's write, once a minute per token, is best effort (it fails rather
    # than waits when the database changed since this read began; see engine.reading).
    with reading(ctx.sessions) as session:
        return authenticate(session, credentials.credentials if credentials else None)


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the bearer token and checks one scope."""

    async def dependency(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ctx: AppContext = Depends(get_ctx),
    ) -> Principal:
        principal = await quick_read(_authenticate, ctx, credentials)
        if not has_scope(principal.scopes, scope):
            raise InsufficientScope(f"This token lacks the '{scope}' scope")
        return principal

    return dependency

"""Rigyd API keys: ``rgyd_live_`` (or ``rgyd_test_``) + 43 random URL-safe characters.

Stored as the dx.gl tokens are (a SHA-256 hash and a prefix to revoke by, with
``meshfarm admin revoke-token rgyd_live_XXXXXXXX``), in the same table, the environment
as the key's tier. A key is only ever a Rigyd key: dx.gl's bearer check refuses anything
not ``dxgl_sk_``, the Refinery's anything not ``im_``, and this one anything not
``rgyd_``. Rigyd's Authentication page lists one refusal for a key that does not work
(401 "Invalid API key": unknown, revoked or expired) and no 403, so a suspended account's
key is refused in the same words.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from broker.db.models import Account, ApiToken, as_utc
from broker.dialects.rigyd.errors import AuthenticationRequired
from broker.errors import Unauthorized
from broker.ids import new_id
from broker.security import hash_token, hashes_match
from broker.services import accounts

Environment = Literal["live", "test"]
KEY_PREFIXES: dict[Environment, str] = {"live": "rgyd_live_", "test": "rgyd_test_"}
SECRET_BYTES = 32
"""``token_urlsafe(32)``: 43 characters, the length Rigyd's Token shapes table gives."""
REVOKE_CHARS = 8
"""How much of the secret the stored prefix keeps: enough to name a key, too little to
guess the rest."""
SCOPE = "rigyd"
"""A Rigyd key's scopes: none of dx.gl's."""
MAX_ACTIVE = 10
"""Active (neither revoked nor expired) keys per account, as Rigyd allows."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's account (whose credits it spends), the key, and whether
    it is a live or a test key."""

    account_id: str
    token_id: str
    environment: Environment


def revoke_prefix(key: str) -> str:
    """``rgyd_live_`` + the first 8 characters: what ``revoke-token`` is given."""
    return key[: len(KEY_PREFIXES["live"]) + REVOKE_CHARS]


def _environment(raw: str) -> Environment | None:
    return next((env for env, prefix in KEY_PREFIXES.items() if raw.startswith(prefix)), None)


def _active(token: ApiToken) -> bool:
    expired = token.expires_at is not None and as_utc(token.expires_at) <= datetime.now(UTC)
    return token.scopes == SCOPE and token.revoked_at is None and not expired


def _active_keys(session: Session, account_id: str) -> int:
    now = datetime.now(UTC)
    count = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.account_id == account_id,
            ApiToken.scopes == SCOPE,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    return count or 0


def issue_key(session: Session, email: str, *, test: bool) -> str:
    """A new key for ``email``'s account (created without credits when missing); refused
    when the account already has ``MAX_ACTIVE`` active ones."""
    try:
        account = accounts.find_account(session, email)
    except accounts.AccountError:
        account = accounts.create_account(session, email, initial_credits=0)
    # The account's row locked (PostgreSQL): two keys issued at once are counted in turn.
    session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    if _active_keys(session, account.id) >= MAX_ACTIVE:
        raise accounts.AccountError(
            f"{account.email} already has {MAX_ACTIVE} active Rigyd keys, the most Rigyd "
            "allows: revoke one first (meshfarm admin revoke-token rgyd_live_XXXXXXXX)"
        )
    environment: Environment = "test" if test else "live"
    key = KEY_PREFIXES[environment] + secrets.token_urlsafe(SECRET_BYTES)
    session.add(
        ApiToken(
            id=new_id(),
            account_id=account.id,
            name=f"rigyd {environment}",
            prefix=revoke_prefix(key),
            token_hash=hash_token(key),
            scopes=SCOPE,
            tier=environment,
        )
    )
    return key


def authenticate(session: Session, raw: str | None) -> Caller:
    if not raw:
        raise AuthenticationRequired()
    environment = _environment(raw)
    if environment is None:
        raise Unauthorized()
    digest = hash_token(raw)
    candidates = session.scalars(select(ApiToken).where(ApiToken.prefix == revoke_prefix(raw)))
    token = next((t for t in candidates if hashes_match(t.token_hash, digest)), None)
    if token is None or token.tier != environment or not _active(token):
        raise Unauthorized()
    account = session.get(Account, token.account_id)
    if account is None or account.suspended:
        raise Unauthorized()
    return Caller(account.id, token.id, environment)

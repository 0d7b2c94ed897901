"""USD Refinery API keys: ``im_`` + 40 random characters, each tied to a tier.

Stored as the dx.gl tokens are (a SHA-256 hash and a prefix to revoke by, with
``meshfarm admin revoke-token im_XXXXXXXX``), in the same table, with the key's tier and its
webhook secret (derived from the key: docs/webhooks.md). A key is only ever a Refinery
key: dx.gl's bearer check refuses anything not ``dxgl_sk_``, and this one anything not
``im_``. Missing or unknown is 401; revoked, expired or of a suspended account 403, as
the Refinery's Error Codes table says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Account, ApiToken, as_utc
from broker.dialects.refinery.tiers import TIER_NAMES, Tier, tier_named
from broker.errors import Forbidden, Unauthorized
from broker.ids import new_id
from broker.security import hash_token, hashes_match
from broker.services import accounts
from broker.webhooks.signing import derive_secret
from workers.config import Settings

KEY_PREFIX = "im_"
PREFIX_LEN = len(KEY_PREFIX) + 8
SCOPE = "refinery"
"""A Refinery key's scopes: none of dx.gl's."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's account, the key (its quota) and its tier's limits."""

    account_id: str
    token_id: str
    tier: Tier


def issue_key(session: Session, email: str, tier: str) -> str:
    """A new key for ``email``'s account (created without credits when missing)."""
    if tier not in TIER_NAMES:
        raise accounts.AccountError(f"unknown tier {tier!r} (one of {', '.join(TIER_NAMES)})")
    try:
        account = accounts.find_account(session, email)
    except accounts.AccountError:
        account = accounts.create_account(session, email, initial_credits=0)
    key = KEY_PREFIX + new_id(40)
    session.add(
        ApiToken(
            id=new_id(),
            account_id=account.id,
            name=f"refinery {tier}",
            prefix=key[:PREFIX_LEN],
            token_hash=hash_token(key),
            scopes=SCOPE,
            tier=tier,
            webhook_secret=derive_secret(key),
        )
    )
    return key


def authenticate(session: Session, settings: Settings, raw: str | None) -> Caller:
    if not raw:
        raise Unauthorized("Missing API key")
    if not raw.startswith(KEY_PREFIX):
        raise Unauthorized("Invalid API key")
    digest = hash_token(raw)
    candidates = session.scalars(select(ApiToken).where(ApiToken.prefix == raw[:PREFIX_LEN]))
    token = next((t for t in candidates if hashes_match(t.token_hash, digest)), None)
    if token is None or token.tier not in TIER_NAMES:
        raise Unauthorized("Invalid API key")
    if token.revoked_at is not None:
        raise Forbidden("API key revoked")
    if token.expires_at is not None and as_utc(token.expires_at) <= datetime.now(UTC):
        raise Forbidden("API key inactive (expired)")
    account = session.get(Account, token.account_id)
    if account is None:
        raise Unauthorized("Invalid API key")
    if account.suspended:
        raise Forbidden("API key inactive (account suspended)")
    return Caller(account.id, token.id, tier_named(settings, token.tier))

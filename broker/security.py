"""API tokens: ``dxgl_sk_`` + 40 random characters, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from broker.ids import new_id

TOKEN_PREFIX = "dxgl_sk_"
PREFIX_LEN = len(TOKEN_PREFIX) + 8
SCOPES = (
    "account:read",
    "models:read",
    "models:write",
    "renders:read",
    "renders:write",
    "overlays:read",
    "overlays:write",
    "metrics:read",
    "admin",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's account and what the token may do."""

    account_id: str
    is_admin: bool
    scopes: str


def new_token() -> str:
    return TOKEN_PREFIX + new_id(40)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str:
    """The part shown in listings and used to revoke; too short to guess the rest."""
    return token[:PREFIX_LEN]


def hashes_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def parse_scopes(raw: str | None) -> str:
    """Validate a comma-separated scope list; ``*`` (all) when empty."""
    if not raw or raw.strip() in ("", "*"):
        return "*"
    scopes = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    return ",".join(dict.fromkeys(scopes))


def has_scope(granted: str, needed: str) -> bool:
    return granted == "*" or needed in granted.split(",")

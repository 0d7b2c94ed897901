"""Accounts and their API tokens (admin commands and the first-start bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Account, ApiToken
from broker.ids import new_id
from broker.jobs import billing
from broker.security import hash_token, new_token, parse_scopes, token_prefix


class AccountError(ValueError):
    """An admin command that cannot be carried out (unknown email, duplicate, ...)."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    prefix: str
    account_id: str


def create_account(
    session: Session, email: str, *, initial_credits: int, is_admin: bool = False
) -> Account:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"not an email address: {email!r}")
    if session.scalar(select(Account).where(Account.email == email)):
        raise AccountError(f"an account for {email} already exists")
    account = Account(id=new_id(), email=email, is_admin=is_admin, balance=0)
    session.add(account)
    session.flush()
    if initial_credits > 0:
        billing.grant(session, account.id, initial_credits, "signup", "credits on signup")
    return account


def find_account(session: Session, email: str) -> Account:
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        raise AccountError(f"no account for {email}")
    return account


def issue_token(
    session: Session,
    account: Account,
    *,
    scopes: str | None = None,
    expires_in_days: int | None = None,
    name: str | None = None,
) -> IssuedToken:
    try:
        granted = parse_scopes(scopes)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    token = new_token()
    expires = None
    if expires_in_days is not None:
        if expires_in_days <= 0:
            raise AccountError("--expires-in-days must be positive")
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
    session.add(
        ApiToken(
            id=new_id(),
            account_id=account.id,
            name=name,
            prefix=token_prefix(token),
            token_hash=hash_token(token),
            scopes=granted,
            expires_at=expires,
        )
    )
    return IssuedToken(token, token_prefix(token), account.id)


def revoke_token(session: Session, prefix: str) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None))
    ).all()
    if not tokens:
        raise AccountError(f"no active token with prefix {prefix!r}")
    for token in tokens:
        token.revoked_at = datetime.now(UTC)
    return len(tokens)


def set_suspended(session: Session, email: str, suspended: bool = True) -> Account:
    account = find_account(session, email)
    account.suspended = suspended
    return account


def bootstrap_admin(session: Session, email: str, amount: int) -> IssuedToken | None:
    """On the very first start (no accounts yet): an admin account and a ready token."""
    if session.scalar(select(Account.id).limit(1)) is not None:
        return None
    account = create_account(session, email, initial_credits=amount, is_admin=True)
    return issue_token(session, account, name="bootstrap")

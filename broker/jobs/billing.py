"""The credits ledger, keyed by job: reserve on acceptance, then charge or refund once.

Rows are insert-only; the account's ``balance`` column is their running sum, kept in the
same transaction as each row so that a conditional ``UPDATE … WHERE balance >= cost`` can
refuse an overdraft atomically on SQLite and PostgreSQL alike. "Exactly once" is the
ledger's unique indexes (one row per job and kind; one settlement per job): a second
charge or refund of a job, from a retry or a race, fails to insert and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.db.models import Account, CreditEntry, Job
from broker.errors import NoCredits
from broker.metrics import CREDITS_CHARGED, CREDITS_REFUNDED, count_on_commit


def grant(session: Session, account_id: str, amount: int, kind: str, note: str = "") -> None:
    if amount <= 0:
        raise ValueError("a grant must be positive")
    session.execute(
        update(Account).where(Account.id == account_id).values(balance=Account.balance + amount)
    )
    session.add(CreditEntry(account_id=account_id, delta=amount, kind=kind, note=note or None))


def reserve(session: Session, account_id: str, jobs: list[Job]) -> int:
    """Take every job's credits at once — all or nothing (NoCredits). Returns the total."""
    total = sum(job.credits for job in jobs)
    if total == 0:
        return 0
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.balance >= total)
        .values(balance=Account.balance - total)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NoCredits(f"This needs {total} credits; your balance is lower")
    for job in jobs:
        if job.credits > 0:
            count_on_commit(session, CREDITS_CHARGED, (job.kind,), job.credits)
    session.add_all(
        CreditEntry(account_id=account_id, delta=-job.credits, kind="reserve", job_id=job.id)
        for job in jobs
        if job.credits > 0
    )
    return total


def _settle(session: Session, job: Job, kind: str, delta: int) -> bool:
    if job.credits <= 0:
        return False
    try:
        with session.begin_nested():
            session.add(
                CreditEntry(account_id=job.account_id, delta=delta, kind=kind, job_id=job.id)
            )
    except IntegrityError:
        return False
    if delta:
        count_on_commit(session, CREDITS_REFUNDED, (job.kind,), delta)
        session.execute(
            update(Account)
            .where(Account.id == job.account_id)
            .values(balance=Account.balance + delta)
        )
    return True


def charge(session: Session, job: Job) -> bool:
    """The job succeeded: its reservation is kept (a zero row records the settlement)."""
    return _settle(session, job, "charge", 0)


def refund(session: Session, job: Job) -> bool:
    """The job failed: its reservation goes back; a second call does nothing."""
    return _settle(session, job, "refund", job.credits)


def ledger_balance(session: Session, account_id: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CreditEntry.delta), 0)).where(
            CreditEntry.account_id == account_id
        )
    )
    return int(total or 0)

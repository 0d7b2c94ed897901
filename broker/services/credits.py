"""The credits ledger: insert-only rows; the account's balance column is their running sum.

Spending is one conditional UPDATE (``balance >= cost``) that must hit exactly one row,
so concurrent requests can never overdraw, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.db.models import Account, CreditEntry, Render
from broker.errors import NoCredits
from broker.metrics import CREDITS_CHARGED


def grant(session: Session, account_id: str, amount: int, kind: str, note: str = "") -> None:
    if amount <= 0:
        raise ValueError("a grant must be positive")
    session.execute(
        update(Account).where(Account.id == account_id).values(balance=Account.balance + amount)
    )
    session.add(CreditEntry(account_id=account_id, delta=amount, kind=kind, note=note or None))


def charge(session: Session, account_id: str, costs: list[tuple[str, int]]) -> int:
    """Charge every (render_id, cost) at once — all or nothing. Returns the total."""
    total = sum(cost for _, cost in costs)
    if total == 0:
        return 0
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.balance >= total)
        .values(balance=Account.balance - total)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NoCredits(f"This needs {total} credits; your balance is lower")
    session.info["credits_charged"] = session.info.get("credits_charged", 0) + total
    session.add_all(
        CreditEntry(account_id=account_id, delta=-cost, kind="charge", render_id=render_id)
        for render_id, cost in costs
        if cost > 0
    )
    return total


def refund(session: Session, render: Render) -> bool:
    """Give a failed render's credits back; a second call for the same render does nothing."""
    if render.credits <= 0:
        return False
    try:
        with session.begin_nested():
            session.add(
                CreditEntry(
                    account_id=render.account_id,
                    delta=render.credits,
                    kind="refund",
                    render_id=render.id,
                )
            )
    except IntegrityError:
        return False
    session.execute(
        update(Account)
        .where(Account.id == render.account_id)
        .values(balance=Account.balance + render.credits)
    )
    return True


def ledger_balance(session: Session, account_id: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CreditEntry.delta), 0)).where(
            CreditEntry.account_id == account_id
        )
    )
    return int(total or 0)


@event.listens_for(Session, "after_commit")
def _count_committed_charges(session: Session) -> None:
    """Count charges for /metrics only once they are committed (a rollback charged nothing)."""
    charged = session.info.pop("credits_charged", 0)
    if charged:
        CREDITS_CHARGED.inc(charged)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_charges(session: Session) -> None:
    session.info.pop("credits_charged", None)

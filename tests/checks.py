"""Assertions shared by the pipeline and fleet suites."""

from __future__ import annotations

from sqlalchemy import func, select

from broker.context import AppContext
from broker.db.models import CreditEntry, Job


def assert_retried_once_and_charged_once(ctx: AppContext, render_id: str, account_id: str) -> None:
    """A job whose worker died: a second attempt finished it, one charge, one output set."""
    with ctx.sessions() as session:
        job = session.scalar(select(Job).where(Job.render_id == render_id))
        assert job is not None and job.attempts == 2
        charges = session.scalar(
            select(func.count()).where(
                CreditEntry.account_id == account_id, CreditEntry.kind == "charge"
            )
        )
        assert charges == 1
    outputs = ctx.settings.data_dir / "objects" / "renders" / render_id
    assert [p.name for p in outputs.iterdir()] == ["attempt-2"]

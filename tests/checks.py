"""Assertions shared by the pipeline and fleet suites."""

from __future__ import annotations

from sqlalchemy import select

from broker.context import AppContext
from broker.db.models import CreditEntry, Render


def assert_retried_once_and_charged_once(ctx: AppContext, render_id: str, account_id: str) -> None:
    """A job whose worker died: a second attempt finished it, one charge, one output set."""
    with ctx.sessions() as session:
        render = session.get(Render, render_id)
        assert render is not None and render.job.attempts == 2
        ledger = session.scalars(
            select(CreditEntry.kind).where(
                CreditEntry.account_id == account_id, CreditEntry.job_id == render.job_id
            )
        ).all()
        assert sorted(ledger) == ["charge", "reserve"]
    outputs = ctx.settings.data_dir / "objects" / "renders" / render_id
    assert [p.name for p in outputs.iterdir()] == ["attempt-2"]

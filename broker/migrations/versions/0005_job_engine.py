"""one job engine: generic jobs with specs and history, renders as job outputs, ledger by job

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

A render's state moves from ``renders.status`` to its job (``state`` + ``phase``), its
settings become the job's typed spec (translated once, here, by the dx.gl dialect that
accepted them), and the ledger's rows point at jobs: a charge becomes the job's
reservation, a refund stays its refund, and a finished render's reservation is settled
by a zero ``charge`` row. Jobs caught mid-run by the upgrade go back to the queue (their
workers stopped with the old release). Every job gets its creation row in the history.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names for the constraints 0001 left unnamed: PostgreSQL's own, which SQLite's reflected
# (nameless) copies are given too, so one drop_constraint works on both.
UNNAMED = {
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
}
SETTLED = sa.text("kind IN ('charge', 'refund')")
STATE_OF_STATUS = {"done": "succeeded", "error": "failed", "failed": "dismissed"}


def _spec(settings: dict[str, Any], model_id: str, preview: bool) -> dict[str, Any]:
    from broker.dialects.dxgl.render_settings import parse_render_settings, to_spec

    spec = to_spec(parse_render_settings(settings, is_admin=True), model_id)
    if preview:
        spec = spec.model_copy(update={"preview": True})
    return spec.model_dump(mode="json")


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("phase", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("spec", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("credits", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("error_message", sa.Text(), nullable=True))
    with op.batch_alter_table("renders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.String(length=16), nullable=True))
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.String(length=16), nullable=True))

    _move_rows()

    with op.batch_alter_table("jobs", schema=None, naming_convention=UNNAMED) as batch_op:
        batch_op.alter_column("credits", server_default=None)
        batch_op.alter_column("account_id", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("spec", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint("jobs_render_id_key", type_="unique")
        batch_op.drop_constraint("jobs_render_id_fkey", type_="foreignkey")
        batch_op.drop_column("render_id")
        batch_op.create_foreign_key("fk_jobs_account_id", "accounts", ["account_id"], ["id"])
        batch_op.create_index("ix_jobs_account_state", ["account_id", "state"], unique=False)
        batch_op.create_check_constraint(
            "ck_jobs_state",
            "state IN ('queued', 'running', 'succeeded', 'failed', 'dismissed', 'cancelled')",
        )
    with op.batch_alter_table("renders", schema=None) as batch_op:
        batch_op.alter_column("job_id", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_index("ix_renders_account_status")
        for column in ("status", "settings", "credits", "error_message"):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint("uq_renders_job_id", ["job_id"])
        batch_op.create_foreign_key("fk_renders_job_id", "jobs", ["job_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_renders_account_id"), ["account_id"], unique=False)
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_render_kind", type_="unique")
        batch_op.drop_column("render_id")
        batch_op.create_unique_constraint("uq_ledger_job_kind", ["job_id", "kind"])
        batch_op.create_foreign_key("fk_credit_ledger_job_id", "jobs", ["job_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_credit_ledger_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            "uq_ledger_job_settled",
            ["job_id"],
            unique=True,
            sqlite_where=SETTLED,
            postgresql_where=SETTLED,
        )
        batch_op.create_check_constraint(
            "ck_ledger_kind", "kind IN ('grant', 'signup', 'reserve', 'charge', 'refund')"
        )
        batch_op.create_check_constraint(
            "ck_ledger_job_kinds", "(job_id IS NULL) = (kind IN ('grant', 'signup'))"
        )
    # Last: SQLite rebuilds a table to alter it, which a foreign key into it would forbid.
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_events_job_id"), ["job_id"], unique=False)
    _first_history()


def _move_rows() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(
        sa.text(
            "SELECT j.id, j.kind, j.state, r.id, r.account_id, r.model_id, r.status,"
            " r.settings, r.credits, r.error_message, r.is_system_preview"
            " FROM jobs j JOIN renders r ON r.id = j.render_id"
        )
    ).all()
    for row in rows:
        job_id, kind, job_state, render_id, account_id, model_id, status, raw = row[:8]
        credits, error, preview = row[8:]
        settings = json.loads(raw) if isinstance(raw, str) else raw  # SQLite: text
        spec = _spec(settings, model_id, bool(preview) or kind == "preview")
        state = STATE_OF_STATUS.get(status)
        if state is None:  # unfinished: back to the queue, unless the old queue gave up on it
            state = "failed" if job_state == "finished" else "queued"
            error = error if state == "queued" else "The render was abandoned"
        conn.execute(
            sa.text(
                "UPDATE jobs SET kind = :kind, state = :state, account_id = :account,"
                " spec = :spec, credits = :credits, error_message = :error, phase = NULL,"
                " lease_owner = NULL, lease_expires_at = NULL WHERE id = :id"
            ).bindparams(sa.bindparam("spec", type_=sa.JSON())),
            {
                "kind": spec["kind"],
                "state": state,
                "account": account_id,
                "spec": spec,
                "credits": credits,
                "error": error,
                "id": job_id,
            },
        )
        conn.execute(
            sa.text("UPDATE renders SET job_id = :job WHERE id = :render"),
            {"job": job_id, "render": render_id},
        )
        conn.execute(
            sa.text("UPDATE credit_ledger SET job_id = :job WHERE render_id = :render"),
            {"job": job_id, "render": render_id},
        )
        if state == "succeeded" and credits > 0:
            conn.execute(
                sa.text(
                    "INSERT INTO credit_ledger (account_id, delta, kind, job_id, created_at)"
                    " VALUES (:account, 0, 'charge', :job, :at)"
                ),
                {"account": account_id, "job": job_id, "at": now},
            )
    conn.execute(
        sa.text("UPDATE credit_ledger SET kind = 'reserve' WHERE kind = 'charge' AND delta < 0")
    )


def _first_history() -> None:
    op.get_bind().execute(
        sa.text(
            "INSERT INTO job_events (job_id, at, by, from_state, to_state, message)"
            " SELECT id, :at, 'migration 0005', NULL, state, 'carried over' FROM jobs"
        ),
        {"at": datetime.now(UTC)},
    )


def downgrade() -> None:
    raise NotImplementedError("0005 moves render state into jobs; restore a backup to go back")

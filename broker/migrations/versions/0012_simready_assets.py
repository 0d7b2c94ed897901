"""simready assets: simready_assets (SimReady builds and their simulations)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "simready_assets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("job_id", sa.String(16), sa.ForeignKey("jobs.id"), nullable=False, unique=True),
        sa.Column("account_id", sa.String(16), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("token_id", sa.String(16), sa.ForeignKey("api_tokens.id")),
        sa.Column("job_type", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("source_key", sa.String(300)),
        sa.Column("source_format", sa.String(16)),
        sa.Column("source_size", sa.Integer()),
        sa.Column("source_id", sa.String(40), sa.ForeignKey("simready_assets.id")),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("input_meta", sa.JSON()),
        sa.Column("assets", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON()),
        sa.Column("input_stats", sa.JSON()),
        sa.Column("preprocess_started_at", WHEN),
        sa.Column("preprocess_completed_at", WHEN),
        sa.Column("started_at", WHEN),
        sa.Column("completed_at", WHEN),
        sa.Column("created_at", WHEN, nullable=False),
    )
    for column in ("account_id", "job_type", "source_id"):
        op.create_index(f"ix_simready_assets_{column}", "simready_assets", [column])


def downgrade() -> None:
    for column in ("account_id", "job_type", "source_id"):
        op.drop_index(f"ix_simready_assets_{column}", table_name="simready_assets")
    op.drop_table("simready_assets")

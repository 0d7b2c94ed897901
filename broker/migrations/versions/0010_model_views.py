"""model views: model_views (one views job per model file and views version)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_views",
        sa.Column("views_key", sa.String(64), primary_key=True),
        sa.Column("job_id", sa.String(16), sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("assets", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_model_views_job_id", "model_views", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_model_views_job_id", table_name="model_views")
    op.drop_table("model_views")

"""job fraction: jobs.fraction (the share of a running job's frames drawn, 0–1)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD / DROP COLUMN: SQLite's batch mode would copy and drop the jobs table,
    # which the renders' and the history's foreign keys refuse
    op.add_column("jobs", sa.Column("fraction", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "fraction")

"""models.public: a model the Thrixel API may serve to anyone (its owner made it public)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00.000000

Every existing model stays private: publishing is its owner's decision (PATCH /v1/models/:id
with ``public: true``), never a migration's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (a constant default): SQLite's batch mode would copy and drop the
    # models table, which the renders' foreign keys refuse
    op.add_column(
        "models", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("models", "public")

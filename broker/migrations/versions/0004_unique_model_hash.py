"""one live model per account and SHA-256

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00.000000

Concurrent uploads of one file used to create several models (the duplicate check and the
insert were separate transactions). Duplicates made that way before this revision are
soft-deleted, the oldest one kept: their renders stay readable, as a deleted model's do.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE models SET deleted_at = :now, updated_at = :now"
            " WHERE deleted_at IS NULL AND EXISTS ("
            "  SELECT 1 FROM models AS older"
            "  WHERE older.account_id = models.account_id AND older.sha256 = models.sha256"
            "  AND older.deleted_at IS NULL AND (older.created_at < models.created_at"
            "   OR (older.created_at = models.created_at AND older.id < models.id)))"
        ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True)))
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index("ix_models_account_sha")
        batch_op.create_index(
            "uq_models_account_sha",
            ["account_id", "sha256"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index("uq_models_account_sha")
        batch_op.create_index("ix_models_account_sha", ["account_id", "sha256"], unique=False)

"""models keep the file as uploaded: source_key, source_format

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00.000000

A model converted at upload (STL, PLY, COLLADA, an OBJ scan, ...) is stored as GLB; the
upload itself is kept beside it under ``source_key``. For a model stored as uploaded the
two keys are the same. Rows from before this revision whose name ends in their stored
format were stored as uploaded and get their own key; the others (OBJ scans) were
converted and their upload was not kept, so their source stays NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("source_key", sa.String(300), nullable=True))
        batch.add_column(sa.Column("source_format", sa.String(16), nullable=True))
    op.execute(
        "UPDATE models SET source_key = storage_key, source_format = file_format "
        "WHERE lower(original_name) LIKE '%.' || file_format"
    )


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("source_format")
        batch.drop_column("source_key")

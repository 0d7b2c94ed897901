"""conversion cache: conversions.cache_key and converted_files (one conversion per key)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:00:00.000000

Rows written before this revision have no key: they are never served from the cache.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(sa.Column("cache_key", sa.String(64), nullable=True))
    op.create_index("ix_conversions_cache_key", "conversions", ["cache_key"])
    op.create_table(
        "converted_files",
        sa.Column("cache_key", sa.String(64), primary_key=True),
        sa.Column("conversion_id", sa.String(40), sa.ForeignKey("conversions.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_converted_files_conversion_id", "converted_files", ["conversion_id"])


def downgrade() -> None:
    op.drop_index("ix_converted_files_conversion_id", table_name="converted_files")
    op.drop_table("converted_files")
    op.drop_index("ix_conversions_cache_key", table_name="conversions")
    with op.batch_alter_table("conversions") as batch:
        batch.drop_column("cache_key")

"""webhook_deliveries: at most one row per job (the outbox is idempotent by the database)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00.000000

Two brokers on one database may both find a finished conversion without a delivery row;
the unique index lets only one insert it. Duplicates written before this revision (none
are expected: the outbox shipped with it) are dropped, the first row kept.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM webhook_deliveries WHERE id NOT IN "
        "(SELECT keep FROM (SELECT MIN(id) AS keep FROM webhook_deliveries GROUP BY job_id) k)"
    )
    op.drop_index("ix_webhook_deliveries_job_id", table_name="webhook_deliveries")
    op.create_index("ix_webhook_deliveries_job_id", "webhook_deliveries", ["job_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_job_id", table_name="webhook_deliveries")
    op.create_index("ix_webhook_deliveries_job_id", "webhook_deliveries", ["job_id"])

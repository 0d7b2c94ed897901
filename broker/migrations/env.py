"""Alembic environment: migrations run against the URL the caller configured."""

from __future__ import annotations

from alembic import context

from broker.db.engine import make_engine
from broker.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()

"""0004 makes (account, SHA-256) unique among live models, on a database that already
holds the duplicates the upload race used to make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from broker.db.migrate import alembic_config

SHA = "a" * 64


def _insert_model(conn, model_id: str, account: str, age_s: int, deleted: bool = False) -> None:
    created = datetime.now(UTC) - timedelta(seconds=age_s)
    conn.execute(
        text(
            "INSERT INTO models (id, account_id, original_name, file_size, sha256, file_format,"
            " storage_key, archived, deleted_at, created_at, updated_at) VALUES (:id, :acc,"
            " 'm.glb', 1, :sha, 'glb', 'k', false, :deleted, :created, :created)"
        ),
        {
            "id": model_id,
            "acc": account,
            "sha": SHA,
            "deleted": created if deleted else None,
            "created": created,
        },
    )


def test_0004_keeps_the_oldest_live_duplicate(empty_db_url: str) -> None:
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "0003")
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        for acc in ("acc1", "acc2"):
            conn.execute(
                text(
                    "INSERT INTO accounts (id, email, is_admin, suspended, balance, created_at)"
                    " VALUES (:id, :email, false, false, 0, :now)"
                ),
                {"id": acc, "email": f"{acc}@example.com", "now": datetime.now(UTC)},
            )
        _insert_model(conn, "gone", "acc1", 40, deleted=True)
        _insert_model(conn, "oldest", "acc1", 30)
        _insert_model(conn, "racer1", "acc1", 20)
        _insert_model(conn, "racer2", "acc1", 10)
        _insert_model(conn, "other", "acc2", 5)
    command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, deleted_at IS NULL FROM models ORDER BY id"))
        live = {model_id: bool(alive) for model_id, alive in rows}
    assert live == {
        "gone": False,
        "oldest": True,
        "racer1": False,
        "racer2": False,
        "other": True,
    }
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _insert_model(conn, "late", "acc1", 0)
    with engine.begin() as conn:  # a deleted one never collides
        _insert_model(conn, "late-deleted", "acc1", 0, deleted=True)
    command.downgrade(cfg, "0003")
    engine.dispose()

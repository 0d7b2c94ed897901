"""Timestamps are shown in UTC, whatever zone the database hands them back in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import event, text

from broker.dialects.dxgl.schemas import iso
from testdata import ASSETS


def test_iso_is_utc_with_milliseconds() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    assert iso(datetime(2026, 2, 15, 20, 0, 0, 123456, tzinfo=india)) == "2026-02-15T14:30:00.123Z"
    assert iso(datetime(2026, 2, 15, 20, 0, 0, tzinfo=UTC)) == "2026-02-15T20:00:00.000Z"
    assert iso(datetime(2026, 2, 15, 20, 0, 0)) == "2026-02-15T20:00:00.000Z"  # SQLite: naive UTC


def test_a_database_session_in_another_zone_changes_nothing(client, ctx, user, upload, db_url):
    if db_url.startswith("postgresql"):

        @event.listens_for(ctx.engine, "connect")
        def _zone(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            with dbapi_conn.cursor() as cur:
                cur.execute("SET TIME ZONE 'Asia/Kolkata'")
            dbapi_conn.commit()

        ctx.engine.dispose()
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    shown = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]["createdAt"]
    with ctx.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT created_at FROM models WHERE id = :id"), {"id": model_id}
        ).scalar_one()
    if db_url.startswith("postgresql"):
        assert stored.utcoffset() == timedelta(hours=5, minutes=30)  # the session's zone
        stored = stored.astimezone(UTC)
    else:
        stored = datetime.fromisoformat(str(stored))
    assert shown == iso(stored) and shown.endswith("Z")
    assert abs(
        datetime.fromisoformat(shown.replace("Z", "+00:00")) - datetime.now(UTC)
    ) < timedelta(minutes=5)

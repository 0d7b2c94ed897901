"""0005 takes a database made by the release before the job engine — with its models,
renders in every status, queue jobs and ledger rows — to the new schema, and everything
it held is still served: each render's status, settings and files, and each balance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.migrate import alembic_config
from broker.db.models import Base
from broker.jobs.billing import ledger_balance
from broker.jobs.machine import Guard, move
from broker.jobs.states import JobState
from broker.security import hash_token, token_prefix
from testdata import ASSETS, DXGL_DEFAULTS
from workers.config import Settings

TOKEN = "dxgl_sk_" + "m" * 40
DEFAULTS = DXGL_DEFAULTS
# (render id, kind, old status, old job state, credits, settings, refunded, assets)
RENDERS: list[tuple[str, str, str, str, int, dict[str, Any], bool, list[str]]] = [
    ("rpreview", "preview", "done", "finished", 0, {**DEFAULTS, "length": 3.0}, False, ["video"]),
    (
        "rdone",
        "render",
        "done",
        "finished",
        4,
        {
            **DEFAULTS,
            "quality": "standard",
            "effect": "hero-spin",
            "sweepAngle": 540.0,
            "easeOutRatio": 0.6,
            "bgColor": "#102030",
            "rotateY": 45,
        },
        False,
        ["video", "web", "thumb", "poster"],
    ),
    ("rerror", "render", "error", "finished", 16, {**DEFAULTS, "quality": "4k"}, True, []),
    ("rfailed", "render", "failed", "finished", 1, DEFAULTS, True, []),
    (
        "rpending",
        "render",
        "pending",
        "queued",
        1,
        {**DEFAULTS, "environment": "studio"},
        False,
        [],
    ),
    ("rrunning", "render", "poster-done", "leased", 1, DEFAULTS, False, ["poster"]),
    (
        "rdataset",
        "dataset",
        "done",
        "finished",
        4,
        {
            "output": "dataset",
            "effect": "dataset",
            "datasetQuality": "100x800",
            "coverage": "sphere",
        },
        False,
        ["dataset"],
    ),
]
SIGNUP = 100
BALANCE = SIGNUP - sum(r[4] for r in RENDERS if not r[6])


def _insert(conn: Connection, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def _old_release(conn: Connection, objects: Path) -> dict[str, bytes]:
    """What revision 0003's code wrote, row by row; returns the files it stored."""
    now = datetime.now(UTC)
    files: dict[str, bytes] = {}

    def store(key: str, data: bytes) -> None:
        (objects / key).parent.mkdir(parents=True, exist_ok=True)
        (objects / key).write_bytes(data)
        files[key] = data

    _insert(
        conn,
        "accounts",
        id="acc",
        email="old@example.com",
        is_admin=False,
        suspended=False,
        balance=BALANCE,
        created_at=now,
    )
    _insert(
        conn,
        "api_tokens",
        id="tok",
        account_id="acc",
        name="old",
        prefix=token_prefix(TOKEN),
        token_hash=hash_token(TOKEN),
        scopes="*",
        created_at=now,
    )
    _insert(conn, "credit_ledger", account_id="acc", delta=SIGNUP, kind="signup", created_at=now)
    store("models/mod/original.glb", (ASSETS / "Duck.glb").read_bytes())
    _insert(
        conn,
        "models",
        id="mod",
        account_id="acc",
        original_name="Duck.glb",
        file_size=1,
        sha256="d" * 64,
        file_format="glb",
        storage_key="models/mod/original.glb",
        archived=False,
        created_at=now,
        updated_at=now,
    )
    for i, (rid, kind, status, state, credits, settings, refunded, assets) in enumerate(RENDERS):
        at = now - timedelta(minutes=len(RENDERS) - i)
        stored_assets = {}
        for name in assets:
            key = f"renders/{rid}/attempt-1/{name}.bin"
            store(key, f"{rid}-{name}".encode())
            stored_assets[name] = {
                "key": key,
                "content_type": "application/octet-stream",
                "size": len(files[key]),
            }
        _insert(
            conn,
            "renders",
            id=rid,
            model_id="mod",
            account_id="acc",
            status=status,
            settings=json.dumps(settings),
            is_system_preview=kind == "preview",
            credits=credits,
            batch_id=None,
            file_size=len(rid) if status == "done" else None,
            error_message="the model exploded" if status in ("error", "failed") else None,
            has_web_variant="web" in assets,
            assets=json.dumps(stored_assets),
            created_at=at,
            updated_at=at,
        )
        leased = state == "leased"
        _insert(
            conn,
            "jobs",
            id=f"j{rid}",
            render_id=rid,
            kind=kind,
            state=state,
            priority=0,
            lease_owner="old-host" if leased else None,
            lease_expires_at=now + timedelta(minutes=1) if leased else None,
            attempts=1 if state != "queued" else 0,
            max_attempts=3,
            version=1,
            created_at=at,
            updated_at=at,
        )
        if credits:
            _insert(
                conn,
                "credit_ledger",
                account_id="acc",
                delta=-credits,
                kind="charge",
                render_id=rid,
                created_at=at,
            )
        if refunded:
            _insert(
                conn,
                "credit_ledger",
                account_id="acc",
                delta=credits,
                kind="refund",
                render_id=rid,
                created_at=at,
            )
    return files


def test_0005_keeps_every_render_balance_and_file(empty_db_url: str, tmp_path: Path) -> None:
    old_db = empty_db_url
    data = tmp_path / "data"
    objects = data / "objects"
    cfg = alembic_config(old_db)
    command.upgrade(cfg, "0003")
    engine = create_engine(old_db)
    with engine.begin() as conn:
        files = _old_release(conn, objects)
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()

    settings = Settings(data_dir=data, database_url=old_db, _env_file=None)  # type: ignore[call-arg]
    ctx = AppContext.from_settings(settings)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    expected_status = {
        "rpreview": "done",
        "rdone": "done",
        "rerror": "error",
        "rfailed": "failed",
        "rpending": "pending",
        "rrunning": "pending",
        "rdataset": "done",
    }
    try:
        with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
            for rid, _, _, _, _, old_settings, _, assets in RENDERS:
                res = client.get(f"/v1/renders/{rid}", headers=headers)
                assert res.status_code == 200, res.text
                body = res.json()["data"]
                assert body["status"] == expected_status[rid], rid
                assert body["renderSettings"] == old_settings, rid
                assert body["is_system_preview"] == (rid == "rpreview")
                if rid in ("rerror", "rfailed"):
                    assert body["errorMessage"] == "the model exploded"
                for name in assets:
                    if name in ("video", "poster", "thumb"):
                        got = client.get(f"/v1/renders/{rid}/{name}", headers=headers)
                        assert got.status_code == 200, (rid, name, got.text)
                        assert got.content == files[f"renders/{rid}/attempt-1/{name}.bin"]
            bundle = client.get("/v1/renders/rdataset/bundle", headers=headers)
            assert bundle.status_code == 200
            assert bundle.content == files["renders/rdataset/attempt-1/dataset.bin"]
            model_file = client.get("/v1/models/mod/file", headers=headers)
            assert model_file.content == files["models/mod/original.glb"]
            listed = client.get("/v1/renders?status=done", headers=headers).json()
            assert {r["id"] for r in listed["data"]} == {"rpreview", "rdone", "rdataset"}
            account = client.get("/v1/account", headers=headers).json()["data"]
            assert account["credits"] == BALANCE
            assert client.patch("/v1/renders/rerror/dismiss", headers=headers).status_code == 200
            assert client.patch("/v1/renders/rerror/dismiss", headers=headers).status_code == 409
        with transaction(ctx.sessions) as session:
            assert ledger_balance(session, "acc") == BALANCE
            # the carried-over reservation of the pending render is refunded once on failure
            for _ in range(2):
                move(session, "jrpending", JobState.FAILED, Guard((JobState.QUEUED,)), by="t")
            assert ledger_balance(session, "acc") == BALANCE + 1
    finally:
        ctx.close()

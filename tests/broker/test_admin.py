"""Fleet visibility: /v1/admin/workers for admins only, /metrics, drain."""

from __future__ import annotations

from typer.testing import CliRunner

from broker.cli import app as cli
from broker.db.engine import transaction
from broker.fleet import is_draining
from broker.jobs import queue
from testdata import ASSETS


def test_admin_workers_is_for_admins_only(client, make_user):
    admin, plain = make_user(admin=True), make_user()
    res = client.get("/v1/admin/workers", headers=admin.headers)
    assert res.status_code == 200
    assert res.json()["data"] == {"executor": None, "draining": False, "workers": []}
    res = client.get("/v1/admin/workers", headers=plain.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    scoped = make_user(admin=True, scopes="models:read")
    res = client.get("/v1/admin/workers", headers=scoped.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "insufficient_scope"


def test_metrics_report_queue_depth_and_credits(client, user, upload, make_user):
    admin = make_user(admin=True)
    upload(user, ASSETS / "Duck.glb", '{"quality": "standard"}')
    before = _value(
        client.get("/metrics", headers=admin.headers).text,
        'meshfarm_credits_charged_total{kind="render"}',
    )
    upload(user, ASSETS / "BoxTextured.glb", '{"quality": "4k"}')
    text = client.get("/metrics", headers=admin.headers).text
    assert 'meshfarm_jobs{kind="render",state="queued"} 4.0' in text
    assert _value(text, 'meshfarm_credits_charged_total{kind="render"}') == before + 16


def _value(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_drain_flag_round_trip(ctx, tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("MESHFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MESHFARM_DATABASE_URL", db_url)
    runner = CliRunner()
    assert runner.invoke(cli, ["worker", "drain"]).exit_code == 0
    with transaction(ctx.sessions) as session:
        assert is_draining(session)
    assert runner.invoke(cli, ["worker", "resume"]).exit_code == 0
    with transaction(ctx.sessions) as session:
        assert not is_draining(session)
        assert queue.claim(session, "w", 10, ["render"]) is None

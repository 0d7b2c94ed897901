"""Every error, including the framework's own, uses the dx.gl envelope; no stack traces.

The domain's errors carry no HTTP; dx.gl's table (broker/dialects/dxgl/errors.py) gives
each its status, code and default wording."""

from __future__ import annotations

import shutil

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from broker.app import create_app
from broker.db.engine import make_session_factory
from broker.errors import DatabaseBusy, InvalidSettings


def _envelope(res, status: int, code: str) -> None:
    assert res.status_code == status
    body = res.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert "Traceback" not in res.text


def test_framework_errors_use_the_envelope(client, user):
    _envelope(client.get("/v1/nope", headers=user.headers), 404, "not_found")
    _envelope(client.put("/v1/account", headers=user.headers), 405, "method_not_allowed")
    _envelope(
        client.post(
            "/v1/renders",
            headers={**user.headers, "Content-Type": "application/json"},
            content=b"{broken",
        ),
        400,
        "invalid_request",
    )
    _envelope(client.post("/v1/renders", headers=user.headers, json=[1, 2]), 400, "invalid_request")
    _envelope(
        client.post("/v1/renders", headers=user.headers, json={"modelId": "x", "extra": 1}),
        400,
        "invalid_request",
    )


def test_unhandled_exception_is_a_500_without_a_trace(ctx, user):
    app = create_app(ctx)

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get("/v1/boom")
    _envelope(res, 500, "internal")
    assert "secret" not in res.text


def test_health_is_503_when_storage_or_database_is_down(ctx, client):
    shutil.rmtree(ctx.store.root)
    res = client.get("/v1/health")
    _envelope(res, 503, "service_unavailable")
    assert "storage: unreachable" in res.json()["error"]["message"]
    ctx.store.root.mkdir()
    ctx.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    ctx.sessions = make_session_factory(ctx.engine)
    res = client.get("/v1/health")
    _envelope(res, 503, "service_unavailable")
    assert "database: unreachable" in res.json()["error"]["message"]


def test_a_missing_body_gets_the_documented_missing_field_code(client, user):
    for path, code in (
        ("/v1/renders", "model_id_required"),
        ("/v1/renders/batch", "renders_required"),
        ("/v1/quote", "renders_required"),
        ("/v1/models/check-hash", "sha256_required"),
        ("/v1/models/ingest", "url_required"),
    ):
        res = client.post(path, headers=user.headers)
        assert res.status_code == 400, path
        assert res.json()["error"]["code"] == code, path


def test_a_domain_error_says_the_raisers_words_else_dxgls_wording(ctx):
    app = create_app(ctx)
    dxgl = app.router.default  # the dx.gl sub-app, behind every prefixed dialect
    assert isinstance(dxgl, FastAPI)

    @dxgl.get("/v1/plain")
    def plain() -> None:
        raise InvalidSettings()

    @dxgl.get("/v1/worded")
    def worded() -> None:
        raise InvalidSettings("renderSettings.fps: must be 24, 30 or 60")

    @dxgl.get("/v1/busy")
    def busy() -> None:
        raise DatabaseBusy()

    with TestClient(app, raise_server_exceptions=False) as client:
        plain_res, worded_res, busy_res = (
            client.get(f"/v1/{p}") for p in ("plain", "worded", "busy")
        )
    _envelope(plain_res, 400, "invalid_settings")
    assert plain_res.json()["error"]["message"] == "Invalid renderSettings value"
    _envelope(worded_res, 400, "invalid_settings")
    assert worded_res.json()["error"]["message"] == "renderSettings.fps: must be 24, 30 or 60"
    _envelope(busy_res, 503, "service_unavailable")
    assert busy_res.headers["Retry-After"] == "2"  # the domain's hint, as the HTTP header

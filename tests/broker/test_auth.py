"""Bearer tokens: missing, invalid, revoked, expired, suspended account, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from broker.db.engine import transaction
from broker.db.models import ApiToken
from broker.security import hash_token, token_prefix
from broker.services import accounts


def _code(res) -> tuple[int, str]:
    return res.status_code, res.json()["error"]["code"]


def test_missing_and_invalid_tokens(client, user):
    assert _code(client.get("/v1/account")) == (401, "unauthorized")
    for header in (
        "Bearer nope",
        "Bearer dxgl_sk_" + "x" * 40,
        "Basic " + user.token,
        user.token,
        "Bearer " + user.token[:-1] + ("A" if user.token[-1] != "A" else "B"),
    ):
        assert _code(client.get("/v1/account", headers={"Authorization": header})) == (
            401,
            "unauthorized",
        ), header
    assert client.get("/v1/account", headers=user.headers).status_code == 200


def test_token_is_stored_only_as_a_hash(ctx, user):
    with ctx.sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.account_id == user.account_id))
    assert row is not None
    assert row.token_hash == hash_token(user.token) and user.token not in row.token_hash
    assert row.prefix == token_prefix(user.token)


def test_revoked_token(client, ctx, user):
    with transaction(ctx.sessions) as session:
        accounts.revoke_token(session, token_prefix(user.token))
    assert _code(client.get("/v1/account", headers=user.headers)) == (401, "unauthorized")


def test_expired_token(client, ctx, user):
    with transaction(ctx.sessions) as session:
        session.execute(
            update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert _code(client.get("/v1/account", headers=user.headers)) == (401, "token_expired")


def test_suspended_account_is_forbidden(client, ctx, user):
    with transaction(ctx.sessions) as session:
        accounts.set_suspended(session, user.email)
    assert _code(client.get("/v1/account", headers=user.headers)) == (403, "forbidden")


def test_scopes(client, make_user):
    reader = make_user(scopes="models:read,account:read")
    assert client.get("/v1/models", headers=reader.headers).status_code == 200
    assert client.get("/v1/account", headers=reader.headers).status_code == 200
    res = client.post("/v1/renders", headers=reader.headers, json={"modelId": "x"})
    assert _code(res) == (403, "insufficient_scope")
    res = client.post("/v1/models", headers=reader.headers, files={"file": ("a.glb", b"x")})
    assert _code(res) == (403, "insufficient_scope")
    assert _code(client.get("/v1/renders", headers=reader.headers)) == (403, "insufficient_scope")


def test_health_needs_no_auth(client):
    res = client.get("/v1/health")
    assert res.status_code == 200
    assert res.json() == {"data": {"status": "ok", "database": "ok", "storage": "ok"}}

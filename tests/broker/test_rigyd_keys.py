"""Rigyd API keys: their shape and storage, the 401s of its Authentication page, the ten
active keys per account, ``/api/me`` and the pricing, through the real ``rigyd`` SDK too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from rigyd import RigydError
from rigyd.cli import main as rigyd_main
from rigyd.client import RigydClient
from sqlalchemy import select
from test_refinery_support import BASE as REFINERY
from test_refinery_support import new_key as new_refinery_key
from test_rigyd_support import BASE, auth, new_key
from typer.testing import CliRunner

from broker.cli import app
from broker.db.engine import transaction
from broker.db.models import Account, ApiToken
from broker.jobs import billing
from broker.security import hash_token
from broker.services import accounts
from workers.catalogue import SIMREADY_PRICES

KEY_SHAPE = r"rgyd_(live|test)_[A-Za-z0-9_-]{43}"
PATHS = ("/me", "/conversions/pricing")
runner = CliRunner()


def _token(ctx, key: str) -> ApiToken:
    with transaction(ctx.sessions) as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(key)))
        assert token is not None
        session.expunge(token)
        return token


def _set(ctx, key: str, **values) -> None:
    with transaction(ctx.sessions) as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(key)))
        assert token is not None
        for name, value in values.items():
            setattr(token, name, value)


def _refused(client, key: str | None = None, **headers: str):
    """The answers of both routes to one credential, as (status, body) pairs."""
    sent = {**(auth(key) if key is not None else {}), **headers}
    return {(r.status_code, r.text) for r in (client.get(BASE + p, headers=sent) for p in PATHS)}


INVALID = {(401, '{"error":"Invalid API key"}')}


@pytest.mark.parametrize("test", [False, True], ids=["live", "test"])
def test_a_key_is_its_prefix_and_43_characters_stored_only_as_a_hash(ctx, test):
    key = new_key(ctx, "Ann@Example.com", test=test)
    environment = "test" if test else "live"
    assert re.fullmatch(KEY_SHAPE, key) and key.startswith(f"rgyd_{environment}_")
    assert len(key.removeprefix(f"rgyd_{environment}_")) == 43
    token = _token(ctx, key)
    assert token.prefix == key[:18] and token.token_hash == hash_token(key)
    assert (token.scopes, token.tier) == ("rigyd", environment)
    stored = [getattr(token, c.key) for c in ApiToken.__table__.columns]
    assert not [v for v in stored if isinstance(v, str) and key[18:26] in v]  # no secret kept
    with transaction(ctx.sessions) as session:
        account = session.get(Account, token.account_id)
        assert account is not None and (account.email, account.balance) == ("ann@example.com", 0)


def test_no_key_is_authentication_required_and_a_wrong_one_an_invalid_api_key(
    client, ctx, make_user
):
    required = {(401, '{"error":"Authentication required"}')}
    assert _refused(client) == required
    assert _refused(client, Authorization="Basic YW5uOnNlY3JldA==") == required
    assert _refused(client, Authorization="Bearer") == required

    key = new_key(ctx)
    assert _refused(client, key[:-1] + ("A" if key[-1] != "A" else "B")) == INVALID
    assert _refused(client, "rgyd_live_" + "x" * 43) == INVALID
    assert _refused(client, key.replace("rgyd_live_", "rgyd_test_")) == INVALID
    assert _refused(client, make_user().token) == INVALID  # a dx.gl token
    assert _refused(client, new_refinery_key(ctx, "bob@example.com")) == INVALID
    assert _refused(client, **{"X-API-Key": key}) == {(401, '{"error":"Authentication required"}')}
    assert client.get(f"{BASE}/me?api_key={key}").status_code == 401  # the header only
    assert client.get(f"{BASE}/me", headers=auth(key)).status_code == 200


def test_a_revoked_expired_or_suspended_key_is_an_invalid_api_key(client, ctx):
    revoked, expired, suspended = (new_key(ctx, f"{n}@example.com") for n in ("r", "e", "s"))
    for key in (revoked, expired, suspended):
        assert client.get(f"{BASE}/me", headers=auth(key)).status_code == 200
    with transaction(ctx.sessions) as session:
        assert accounts.revoke_token(session, revoked[:18]) == 1
        accounts.set_suspended(session, "s@example.com")
    _set(ctx, expired, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    for key in (revoked, expired, suspended):
        assert _refused(client, key) == INVALID


def test_a_rigyd_key_opens_neither_dxgl_nor_the_refinery(client, ctx):
    key = new_key(ctx)
    dxgl = client.get("/v1/account", headers=auth(key))
    assert dxgl.status_code == 401 and dxgl.json()["error"]["code"] == "unauthorized"
    for headers in (auth(key), {"X-API-Key": key}):
        refinery = client.get(f"{REFINERY}/jobs", headers=headers)
        assert refinery.status_code == 401, refinery.text


def test_the_eleventh_active_key_is_refused_until_one_is_revoked_or_expires(client, ctx):
    keys = [new_key(ctx, test=n % 2 == 1) for n in range(10)]  # live and test keys alike
    new_refinery_key(ctx)  # the account's keys of other APIs do not count
    with pytest.raises(accounts.AccountError, match="already has 10 active Rigyd keys"):
        new_key(ctx)
    with transaction(ctx.sessions) as session:
        accounts.revoke_token(session, keys[0][:18])
    eleventh = new_key(ctx)
    assert client.get(f"{BASE}/me", headers=auth(eleventh)).status_code == 200
    with pytest.raises(accounts.AccountError):
        new_key(ctx, test=True)
    _set(ctx, keys[1], expires_at=datetime.now(UTC) - timedelta(minutes=1))
    new_key(ctx, test=True)
    assert new_key(ctx, "bob@example.com")  # per account
    assert all(client.get(f"{BASE}/me", headers=auth(k)).status_code == 200 for k in keys[2:])


def test_me_is_the_keys_user_and_its_credits(client, ctx):
    key = new_key(ctx, "ann@example.com", test=True)
    account_id = _token(ctx, key).account_id
    with transaction(ctx.sessions) as session:
        billing.grant(session, account_id, 42, "grant", "top-up")
    res = client.get(f"{BASE}/me", headers=auth(key))
    assert res.status_code == 200, res.text
    assert res.json() == {
        "data": {
            "user": {"id": account_id, "email": "ann@example.com", "username": "ann"},
            "subscription": {
                "status": "active",
                "plan": {"name": "Pay as you go"},
                "credits_remaining": 42,
            },
        }
    }


def test_pricing_is_the_catalogues(client, ctx):
    res = client.get(f"{BASE}/conversions/pricing", headers=auth(new_key(ctx)))
    assert res.status_code == 200
    assert res.json() == {"data": SIMREADY_PRICES}
    assert res.json()["data"]["glb_to_simready"] == 1  # the seed's example


def test_the_rigyd_sdk_reads_me_and_pricing_over_http(live_server, ctx, capsys, monkeypatch):
    key = new_key(ctx, "ann@example.com")
    with transaction(ctx.sessions) as session:
        billing.grant(session, _token(ctx, key).account_id, 7, "grant")
    sdk = RigydClient(f"{live_server}{BASE}", key)
    me = sdk.me()
    assert me["user"]["email"] == "ann@example.com"
    assert me["subscription"]["credits_remaining"] == 7
    assert sdk.pricing() == SIMREADY_PRICES

    with pytest.raises(RigydError) as refused:
        RigydClient(f"{live_server}{BASE}", "rgyd_live_" + "x" * 43).me()
    assert (refused.value.status, str(refused.value)) == (401, "Invalid API key")

    monkeypatch.setenv("NO_COLOR", "1")
    args = ["--api-key", key, "--base-url", f"{live_server}{BASE}"]
    assert rigyd_main(["whoami", *args]) == 0
    shown = capsys.readouterr().out
    assert "ann@example.com" in shown and "plan: Pay as you go" in shown and "credits: 7" in shown


def test_create_rigyd_key_prints_only_the_key_and_revoke_token_ends_it(
    client, ctx, db_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("MESHFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MESHFARM_DATABASE_URL", db_url)
    made = runner.invoke(app, ["admin", "create-rigyd-key", "--email", "Ann@Example.com"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert re.fullmatch(KEY_SHAPE, key) and key.startswith("rgyd_live_")
    assert _token(ctx, key).tier == "live"
    me = client.get(f"{BASE}/me", headers=auth(key))
    assert me.status_code == 200 and me.json()["data"]["user"]["email"] == "ann@example.com"

    test = runner.invoke(app, ["admin", "create-rigyd-key", "--email", "ann@example.com", "--test"])
    assert test.exit_code == 0, test.output
    assert test.stdout.strip().startswith("rgyd_test_")

    revoked = runner.invoke(app, ["admin", "revoke-token", key[:18]])
    assert revoked.exit_code == 0, revoked.output
    assert _refused(client, key) == INVALID
    assert client.get(f"{BASE}/me", headers=auth(test.stdout.strip())).status_code == 200

    for _ in range(9):
        more = runner.invoke(app, ["admin", "create-rigyd-key", "--email", "ann@example.com"])
        assert more.exit_code == 0, more.output
    refused = runner.invoke(app, ["admin", "create-rigyd-key", "--email", "ann@example.com"])
    assert refused.exit_code == 1 and "10 active Rigyd keys" in refused.output

"""`meshfarm admin create-refinery-key` and revoking its key with `revoke-token`."""

from __future__ import annotations

import re

from sqlalchemy import select
from test_refinery_support import BASE
from typer.testing import CliRunner

from broker.cli import app
from broker.db.engine import transaction
from broker.db.models import Account, ApiToken
from broker.security import hash_token
from broker.webhooks.signing import derive_secret

runner = CliRunner()


def test_create_refinery_key_prints_only_the_key_and_stores_it_hashed(
    client, ctx, db_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("MESHFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MESHFARM_DATABASE_URL", db_url)
    made = runner.invoke(
        app, ["admin", "create-refinery-key", "--email", "Ann@Example.com", "--tier", "pro"]
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert re.fullmatch(r"im_[A-Za-z0-9]{40}", key)
    with transaction(ctx.sessions) as session:
        (token,) = session.scalars(select(ApiToken)).all()
        account = session.get(Account, token.account_id)
        assert account is not None and account.email == "ann@example.com"
        assert token.token_hash == hash_token(key) and key not in token.token_hash
        assert (token.tier, token.prefix) == ("pro", key[:11])
        assert token.webhook_secret == derive_secret(key)
    assert client.get(f"{BASE}/jobs", headers={"X-API-Key": key}).status_code == 200

    second = runner.invoke(app, ["admin", "create-refinery-key", "--email", "ann@example.com"])
    assert second.exit_code == 0, second.output  # the account exists: a second key for it
    bad = runner.invoke(
        app, ["admin", "create-refinery-key", "--email", "ann@example.com", "--tier", "gold"]
    )
    assert bad.exit_code == 1 and "unknown tier" in bad.output

    revoked = runner.invoke(app, ["admin", "revoke-token", key[:11]])
    assert revoked.exit_code == 0, revoked.output
    answer = client.get(f"{BASE}/jobs", headers={"X-API-Key": key})
    assert answer.status_code == 403 and answer.json() == {"detail": "API key revoked"}
    other = second.stdout.strip()
    assert client.get(f"{BASE}/jobs", headers={"X-API-Key": other}).status_code == 200

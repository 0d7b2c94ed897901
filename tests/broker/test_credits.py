"""The ledger: costs, signup credits, refunds once, and no overdraft under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from broker.db.engine import transaction
from broker.db.models import Account, CreditEntry
from broker.jobs.billing import ledger_balance
from broker.services import accounts
from testdata import ASSETS


def test_new_account_gets_10_free_credits_in_the_ledger(ctx):
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "new@example.com", initial_credits=10)
    with ctx.sessions() as session:
        rows = session.scalars(
            select(CreditEntry).where(CreditEntry.account_id == account.id)
        ).all()
        assert [(r.delta, r.kind) for r in rows] == [(10, "signup")]
        assert session.get(Account, account.id).balance == 10


def test_tier_costs_are_charged(client, make_user, upload):
    u = make_user(credits=150)
    mid = upload(u, ASSETS / "Duck.glb").json()["data"]["modelId"]
    spent = 1
    for settings, cost in (
        ({"quality": "share"}, 1),
        ({"quality": "standard"}, 4),
        ({"quality": "4k"}, 16),
        ({"quality": "pro"}, 64),
        ({"output": "dataset", "datasetQuality": "100x800"}, 4),
        ({"output": "dataset", "datasetQuality": "196x1024"}, 16),
        ({"effect": "dataset"}, 4),
    ):
        res = client.post(
            "/v1/renders", headers=u.headers, json={"modelId": mid, "renderSettings": settings}
        )
        assert res.status_code == 201, res.text
        spent += cost
        balance = client.get("/v1/account", headers=u.headers).json()["data"]["credits"]
        assert balance == 150 - spent, settings
    res = client.post(
        "/v1/renders",
        headers=u.headers,
        json={
            "modelId": mid,
            "renderSettings": {"output": "dataset", "datasetQuality": "400x2048"},
        },
    )
    assert res.status_code == 402 and res.json()["error"]["code"] == "no_credits"


def test_50_concurrent_requests_on_10_credits(ctx, live_server, make_user, client, upload):
    u = make_user(credits=11)
    mid = upload(u, ASSETS / "BoxTextured.glb").json()["data"]["modelId"]  # 10 left

    def create(_: int) -> int:
        with httpx.Client(base_url=live_server, headers=u.headers, timeout=60) as http:
            return http.post("/v1/renders", json={"modelId": mid}).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(create, range(50)))
    assert codes.count(201) == 10, codes
    assert codes.count(402) == 40, codes
    with ctx.sessions() as session:
        assert session.get(Account, u.account_id).balance == 0
        assert ledger_balance(session, u.account_id) == 0
        charges = session.scalar(
            select(func.count()).where(
                CreditEntry.account_id == u.account_id, CreditEntry.kind == "reserve"
            )
        )
        assert charges == 11

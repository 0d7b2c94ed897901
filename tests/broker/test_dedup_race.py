"""Concurrent uploads of one file make one model: the loser of the race is a duplicate."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from broker.db.engine import transaction
from broker.db.models import Model, Render
from broker.services.models import soft_delete
from testdata import ASSETS

BOX = ASSETS / "BoxTextured.glb"
UPLOADS = 20


def _race(live_server: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    """``n`` uploads released at once, each on its own connection."""
    body = BOX.read_bytes()
    start = threading.Barrier(n)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server, headers=headers, timeout=120) as http:
            start.wait()
            return http.post("/v1/models", files={"file": ("box.glb", body)})

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(post, range(n)))


def test_20_concurrent_uploads_of_one_file_make_one_model(ctx, live_server, make_user):
    user = make_user(credits=UPLOADS)
    answers = _race(live_server, user.headers, UPLOADS)

    assert [r.status_code for r in answers] == [201] * UPLOADS, [r.text for r in answers]
    data = [r.json()["data"] for r in answers]
    with ctx.sessions() as session:
        models = session.scalars(select(Model.id).where(Model.account_id == user.account_id)).all()
        renders = session.scalars(select(Render).where(Render.account_id == user.account_id)).all()
    assert len(models) == 1, f"{len(models)} models from {UPLOADS} concurrent uploads"
    assert {d["modelId"] for d in data} == {models[0]}
    assert sorted(d["duplicate"] for d in data) == [False] + [True] * (UPLOADS - 1)
    # Every upload got its own charged render on the one model, and one free preview was made.
    assert len({d["renderId"] for d in data}) == UPLOADS
    assert sum(r.is_system_preview for r in renders) == 1
    assert {r.model_id for r in renders} == {models[0]}
    account = httpx.get(f"{live_server}/v1/account", headers=user.headers).json()["data"]
    assert account["credits"] == 0
    # The losers' stored copies were removed again: one object under models/.
    stored = (ctx.settings.data_dir / "objects" / "models").rglob("*")
    assert [p.parent.name for p in stored if p.is_file()] == [models[0]]


def test_a_deleted_model_does_not_block_a_new_upload_of_its_file(ctx, client, user, upload):
    first = upload(user, BOX).json()["data"]
    with transaction(ctx.sessions) as session:
        model = session.get(Model, first["modelId"])
        assert model is not None
        soft_delete(model)
    again = upload(user, BOX)
    assert again.status_code == 201, again.text
    assert again.json()["data"]["duplicate"] is False
    assert again.json()["data"]["modelId"] != first["modelId"]
    sha = hashlib.sha256(BOX.read_bytes()).hexdigest()
    res = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": sha})
    assert res.json()["data"] == {"exists": True, "modelId": again.json()["data"]["modelId"]}


def test_the_same_file_in_two_accounts_is_two_models(ctx, make_user, upload):
    a, b = make_user(credits=5), make_user(credits=5)
    ids = {upload(u, BOX).json()["data"]["modelId"] for u in (a, b)}
    assert len(ids) == 2
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 2


def test_an_archived_model_still_takes_its_duplicates(client, user, upload):
    first = upload(user, BOX).json()["data"]
    res = client.patch(f"/v1/models/{first['modelId']}/archive", headers=user.headers)
    assert res.status_code == 200
    again = upload(user, BOX).json()["data"]
    assert again["duplicate"] is True and again["modelId"] == first["modelId"]

"""One rule for render items everywhere: /renders, /renders/batch, /quote, upload and ingest
take the same shapes (``renderSettings`` an object or a JSON string, optional), and an
``animation`` the model does not have is refused naming the clips it has."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts
from testdata import ASSETS

FOX_CLIPS = "'Survey', 'Walk', 'Run'"


def _model(upload, user, name: str = "Duck.glb") -> str:
    res = upload(user, ASSETS / name)
    assert res.status_code == 201, res.text
    return res.json()["data"]["modelId"]


def test_quote_takes_every_batch_shape(client, user, upload):
    model_id = _model(upload, user)
    items = [
        {"modelId": model_id},
        {"modelId": model_id, "renderSettings": {"quality": "4k"}},
        {"modelId": model_id, "renderSettings": json.dumps({"quality": "standard"})},
        {"modelId": model_id, "renderSettings": ""},
    ]
    batch = client.post("/v1/renders/batch", headers=user.headers, json={"renders": items})
    assert batch.status_code == 201, batch.text
    quote = client.post("/v1/quote", headers=user.headers, json={"renders": items})
    assert quote.status_code == 200, quote.text
    assert [line["credits"] for line in quote.json()["data"]["breakdown"]] == [1, 16, 4, 1]

    # and refuses what the batch refuses, the same way
    for bad, code in (
        ({"modelId": "nosuchmodel1"}, "model_not_found"),
        ({"modelId": model_id, "renderSettings": "{not json"}, "invalid_settings"),
        ({"modelId": model_id, "quality": "4k"}, "invalid_settings"),
        ({"modelId": ""}, "model_id_required"),
    ):
        for path in ("/v1/renders/batch", "/v1/quote"):
            res = client.post(path, headers=user.headers, json={"renders": [bad]})
            assert res.json()["error"]["code"] == code, (path, bad, res.text)


def test_render_settings_as_a_json_string_everywhere(client, user, upload):
    model_id = _model(upload, user)
    as_string = json.dumps({"quality": "standard", "aspect": "1:1"})
    res = client.post(
        "/v1/renders",
        headers=user.headers,
        json={"modelId": model_id, "renderSettings": as_string},
    )
    assert res.status_code == 201, res.text
    assert res.json()["data"]["renderSettings"]["aspect"] == "1:1"
    res = client.post(
        "/v1/renders/batch",
        headers=user.headers,
        json={"renders": [{"modelId": model_id, "renderSettings": as_string}]},
    )
    assert res.status_code == 201, res.text
    quote = client.post(
        "/v1/quote", headers=user.headers, json={"renders": [{"renderSettings": as_string}]}
    )
    assert quote.json()["data"]["breakdown"] == [{"quality": "standard", "credits": 4}]
    upload_res = upload(user, ASSETS / "BoxTextured.glb", as_string)
    assert upload_res.status_code == 201, upload_res.text
    for body in (
        {"modelId": model_id, "renderSettings": "[1, 2]"},
        {"modelId": model_id, "renderSettings": '{"quality": "8k"}'},
        {"modelId": model_id, "renderSettings": "{"},
    ):
        res = client.post("/v1/renders", headers=user.headers, json=body)
        assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_settings", body


def _render(client, user, model_id: str, animation: str):
    return client.post(
        "/v1/renders",
        headers=user.headers,
        json={"modelId": model_id, "renderSettings": {"animation": animation}},
    )


def test_an_unknown_animation_names_the_clips(client, user, upload):
    fox = _model(upload, user, "Fox.glb")
    for name in ("Walk", "Run", "*"):
        assert _render(client, user, fox, name).status_code == 201, name
    res = _render(client, user, fox, "Dance")
    assert res.status_code == 400
    error = res.json()["error"]
    assert error["code"] == "invalid_settings"
    assert "renderSettings.animation" in error["message"] and "'Dance'" in error["message"]
    assert FOX_CLIPS in error["message"]
    assert _render(client, user, fox, "walk").status_code == 400  # names are exact

    duck = _model(upload, user, "Duck.glb")
    res = _render(client, user, duck, "Walk")
    assert res.status_code == 400 and "its clips: none" in res.json()["error"]["message"]
    assert _render(client, user, duck, "*").status_code == 201  # a still model renders still

    scan = _model(upload, user, "CesiumMan.zip")  # a glTF in a ZIP, stored as the ZIP
    assert _render(client, user, scan, "animation0").status_code == 201
    assert "'animation0'" in _render(client, user, scan, "Walk").json()["error"]["message"]

    batch = client.post(
        "/v1/renders/batch",
        headers=user.headers,
        json={
            "renders": [
                {"modelId": fox, "renderSettings": {"animation": "Walk"}},
                {"modelId": fox, "renderSettings": {"animation": "Dance"}},
            ]
        },
    )
    assert batch.status_code == 400
    assert batch.json()["error"]["message"].startswith("renders[1]: renderSettings.animation")
    quote = client.post(
        "/v1/quote",
        headers=user.headers,
        json={"renders": [{"modelId": fox, "renderSettings": {"animation": "Dance"}}]},
    )
    assert quote.status_code == 400 and FOX_CLIPS in quote.json()["error"]["message"]


def test_an_upload_with_an_unknown_animation_is_refused(client, user, upload):
    res = upload(user, ASSETS / "Fox.glb", '{"animation": "Dance"}')
    assert res.status_code == 400, res.text
    assert FOX_CLIPS in res.json()["error"]["message"]
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == 100
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 0
    assert upload(user, ASSETS / "Fox.glb", '{"animation": "Walk"}').status_code == 201
    # the same file again (a duplicate) is checked against the stored model
    res = upload(user, ASSETS / "Fox.glb", '{"animation": "Dance"}')
    assert res.status_code == 400 and FOX_CLIPS in res.json()["error"]["message"]


@pytest.mark.parametrize("name", ["Fox.glb", "CesiumMan.zip"])
def test_clips_are_read_from_an_s3_store(s3_settings, name):
    ctx = AppContext.from_settings(s3_settings)
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "s3@example.com", initial_credits=10)
        token = accounts.issue_token(session, account).token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        with (ASSETS / name).open("rb") as fh:
            model_id = client.post(
                "/v1/models", headers=headers, files={"file": (name, fh)}
            ).json()["data"]["modelId"]
        res = client.post(
            "/v1/renders",
            headers=headers,
            json={"modelId": model_id, "renderSettings": {"animation": "Dance"}},
        )
        assert res.status_code == 400, res.text
        expected = FOX_CLIPS if name == "Fox.glb" else "'animation0'"
        assert expected in res.json()["error"]["message"]
    ctx.close()

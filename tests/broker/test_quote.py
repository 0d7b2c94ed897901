"""POST /v1/quote: costs per tier, breakdown, balance, limits."""

from __future__ import annotations

from testdata import ASSETS


def test_quote_example_from_the_spec(client, user):
    res = client.post(
        "/v1/quote",
        headers=user.headers,
        json={
            "renders": [
                {"quality": "standard"},
                {"quality": "4k"},
                {"output": "dataset", "datasetQuality": "196x1024"},
            ]
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == {
        "creditsRequired": 36,
        "creditsAvailable": 100,
        "sufficient": True,
        "breakdown": [
            {"quality": "standard", "credits": 4},
            {"quality": "4k", "credits": 16},
            {"datasetQuality": "196x1024", "credits": 16},
        ],
    }


def test_quote_all_tiers_and_insufficient(client, make_user):
    u = make_user(credits=10)
    items = [
        {"quality": "share"},
        {},
        {"quality": "pro", "bgColor": "#000000"},
        {"effect": "dataset"},
        {"output": "dataset", "datasetQuality": "400x2048"},
    ]
    data = client.post("/v1/quote", headers=u.headers, json={"renders": items}).json()["data"]
    assert [b["credits"] for b in data["breakdown"]] == [1, 1, 64, 4, 64]
    assert data["creditsRequired"] == 134
    assert data["creditsAvailable"] == 10 and data["sufficient"] is False


def test_quote_validation(client, user):
    for body, code in (
        ({}, "renders_required"),
        ({"renders": []}, "renders_required"),
        ({"renders": [{}] * 101}, "too_many"),
        ({"renders": [{"quality": "8k"}]}, "invalid_settings"),
        ({"renders": ["share"]}, "invalid_settings"),
        # what a render would refuse is refused here, instead of quoted at the default tier
        ({"renders": [{"datasetQuality": "400x2048"}]}, "invalid_settings"),
        ({"renders": [{"quality": "pro", "colour": "red"}]}, "invalid_settings"),
        ({"renders": [{"length": 600}]}, "invalid_settings"),
    ):
        res = client.post("/v1/quote", headers=user.headers, json=body)
        assert res.status_code == 400, body
        assert res.json()["error"]["code"] == code


def test_batch_shaped_items_are_quoted_by_their_settings(client, user, upload):
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    items = [
        {"modelId": model_id, "renderSettings": {"quality": "pro"}},
        {"modelId": model_id, "renderSettings": {"output": "dataset"}},
        {"renderSettings": None},
    ]
    data = client.post("/v1/quote", headers=user.headers, json={"renders": items}).json()["data"]
    assert data["breakdown"] == [
        {"quality": "pro", "credits": 64},
        {"datasetQuality": "100x800", "credits": 4},
        {"quality": "share", "credits": 1},
    ]

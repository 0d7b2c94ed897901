"""Render records through HTTP: settings validation and defaults, list, dismiss, delete, batch."""

from __future__ import annotations

import pytest
from jobstate import fail
from sqlalchemy import select

from broker.db.models import Job, JobTransition, Render
from testdata import ASSETS, DXGL_DEFAULTS


@pytest.fixture
def model_id(client, user, upload) -> str:
    return upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]


def test_create_render_fills_documented_defaults(client, user, model_id):
    res = client.post("/v1/renders", headers=user.headers, json={"modelId": model_id})
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert data["status"] == "pending" and data["modelId"] == model_id
    assert data["renderSettings"] == DXGL_DEFAULTS
    got = client.get(f"/v1/renders/{data['id']}", headers=user.headers).json()["data"]
    assert got["fileSize"] is None and got["errorMessage"] is None
    assert got["hasWebVariant"] is False


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"effect": "hero-spin"}, {"sweepAngle": 540, "easeOutRatio": 0.6}),
        ({"effect": "reveal"}, {"sweepAngle": 180, "scaleFrom": 0.0}),
        ({"effect": "showcase"}, {"amplitude": 60}),
        ({"effect": "zoom-orbit", "zoomEnd": 0.5}, {"zoomStart": 1.0, "zoomEnd": 0.5}),
        (
            {"output": "dataset"},
            {"output": "dataset", "effect": "dataset", "datasetQuality": "100x800"},
        ),
        ({"effect": "dataset", "coverage": "sphere"}, {"coverage": "sphere"}),
    ],
)
def test_effect_defaults(client, user, model_id, settings, expected):
    res = client.post(
        "/v1/renders", headers=user.headers, json={"modelId": model_id, "renderSettings": settings}
    )
    assert res.status_code == 201, res.text
    stored = res.json()["data"]["renderSettings"]
    assert expected.items() <= stored.items()


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"quality": "hd"}, "quality"),
        ({"effect": "spin"}, "effect"),
        ({"sweepAngle": 5}, "sweepAngle"),
        ({"sweepAngle": 1081}, "sweepAngle"),
        ({"easeOutRatio": 1.5}, "easeOutRatio"),
        ({"amplitude": 4}, "amplitude"),
        ({"zoomStart": 0.05}, "zoomStart"),
        ({"zoomEnd": 3.5}, "zoomEnd"),
        ({"scaleFrom": -0.1}, "scaleFrom"),
        ({"vignette": 2}, "vignette"),
        ({"aspect": "4:3"}, "aspect"),
        ({"bgColor": "#ff88"}, "bgColor"),
        ({"bgColor": "ff8800"}, "bgColor"),
        ({"bgAlign": "middle"}, "bgAlign"),
        ({"length": 2.9}, "length"),
        ({"length": 30.5}, "length"),
        ({"animationSpeed": 0}, "animationSpeed"),
        ({"shadows": 1}, "shadows"),
        ({"reflector": "false"}, "reflector"),
        ({"rotateY": 181}, "rotateY"),
        ({"rotateY": 10.5}, "rotateY"),
        ({"rotateY": "45"}, "rotateY"),
        ({"tiltX": True}, "tiltX"),
        ({"tiltX": -91}, "tiltX"),
        ({"panX": 200}, "panX"),
        ({"rollZ": -181}, "rollZ"),
        ({"zoom": 0.4}, "zoom"),
        ({"zoom": 2.1}, "zoom"),
        ({"datasetQuality": "100x800"}, "datasetQuality"),
        ({"output": "dataset", "datasetQuality": "50x50"}, "datasetQuality"),
        ({"coverage": "cube", "output": "dataset"}, "coverage"),
        ({"bgImageId": "nope123"}, "bgImageId"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_settings_name_the_field(client, user, model_id, settings, field):
    res = client.post(
        "/v1/renders", headers=user.headers, json={"modelId": model_id, "renderSettings": settings}
    )
    assert res.status_code == 400, res.text
    err = res.json()["error"]
    assert err == {"code": "invalid_settings", "message": err["message"], "status": 400}
    assert field in err["message"]


def test_length_up_to_600_only_for_admins(client, make_user, upload):
    admin, plain = make_user(credits=10, admin=True), make_user(credits=10)
    model_ids = {}
    for who, expected in ((admin, 201), (plain, 400)):
        mid = model_ids[who.email] = upload(who, ASSETS / "BoxTextured.glb").json()["data"][
            "modelId"
        ]
        res = client.post(
            "/v1/renders",
            headers=who.headers,
            json={"modelId": mid, "renderSettings": {"length": 600}},
        )
        assert res.status_code == expected, res.text
    res = client.post(
        "/v1/renders",
        headers=admin.headers,
        json={"modelId": model_ids[admin.email], "renderSettings": {"length": 601}},
    )
    assert res.status_code == 400


def test_model_id_required_and_unknown(client, user):
    res = client.post("/v1/renders", headers=user.headers, json={})
    assert res.status_code == 400 and res.json()["error"]["code"] == "model_id_required"
    res = client.post("/v1/renders", headers=user.headers, json={"modelId": "doesnotexist"})
    assert res.status_code == 404 and res.json()["error"]["code"] == "model_not_found"
    res = client.get("/v1/renders/doesnotexist", headers=user.headers)
    assert res.status_code == 404 and res.json()["error"]["code"] == "render_not_found"
    res = client.post("/v1/renders", headers=user.headers, json={"modelId": 12})
    assert res.status_code == 404


def test_list_renders_filters(client, user, model_id, upload):
    other = upload(user, ASSETS / "BoxTextured.glb").json()["data"]["modelId"]
    res = client.get(f"/v1/renders?model={model_id}", headers=user.headers).json()
    assert res["meta"]["total"] == 2  # preview + the upload's render
    assert all(r["modelId"] == model_id for r in res["data"])
    assert client.get("/v1/renders", headers=user.headers).json()["meta"]["total"] == 4
    done = client.get("/v1/renders?status=done", headers=user.headers).json()
    assert done["meta"]["total"] == 0
    bad = client.get("/v1/renders?status=finished", headers=user.headers)
    assert bad.status_code == 400
    page = client.get(f"/v1/renders?model={other}&limit=1", headers=user.headers).json()
    assert len(page["data"]) == 1 and page["meta"]["limit"] == 1


def test_dismiss_only_from_error_and_refund_once(client, user, model_id, ctx):
    rid = client.post(
        "/v1/renders",
        headers=user.headers,
        json={"modelId": model_id, "renderSettings": {"quality": "standard"}},
    ).json()["data"]["id"]
    before = client.get("/v1/account", headers=user.headers).json()["data"]["credits"]
    res = client.patch(f"/v1/renders/{rid}/dismiss", headers=user.headers)
    assert res.status_code == 409 and res.json()["error"]["code"] == "invalid_transition"
    with ctx.sessions() as session, session.begin():
        assert fail(session, rid, "the model has no geometry") is True
    with ctx.sessions() as session, session.begin():
        assert fail(session, rid, "again") is False
    got = client.get(f"/v1/renders/{rid}", headers=user.headers).json()["data"]
    assert got["status"] == "error" and got["errorMessage"] == "the model has no geometry"
    after = client.get("/v1/account", headers=user.headers).json()["data"]["credits"]
    assert after == before + 4
    res = client.patch(f"/v1/renders/{rid}/dismiss", headers=user.headers)
    assert res.status_code == 200 and res.json()["data"]["status"] == "failed"
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == after


def test_delete_render_removes_row_and_files_and_cancels_its_job(
    client, user, model_id, ctx, tmp_path
):
    rid = client.post("/v1/renders", headers=user.headers, json={"modelId": model_id}).json()[
        "data"
    ]["id"]
    with ctx.sessions() as session:
        job_id = session.get(Render, rid).job_id
    asset = tmp_path / "poster.png"
    asset.write_bytes(b"png")
    ctx.store.put_file(f"renders/{rid}/poster.png", asset)
    res = client.delete(f"/v1/renders/{rid}", headers=user.headers)
    assert res.status_code == 200
    assert client.get(f"/v1/renders/{rid}", headers=user.headers).status_code == 404
    assert ctx.store.size(f"renders/{rid}/poster.png") is None
    with ctx.sessions() as session:
        assert session.scalar(select(Render).where(Render.id == rid)) is None
        job = session.get(Job, job_id)  # kept, with its history and ledger rows
        assert job.state == "cancelled"
        history = session.scalars(
            select(JobTransition.to_state).where(JobTransition.job_id == job_id)
        ).all()
        assert history == ["queued", "cancelled"]


def test_batch_is_atomic_and_bounded(client, make_user, upload):
    u = make_user(credits=10)
    mid = upload(u, ASSETS / "Duck.glb").json()["data"]["modelId"]  # 9 left
    items = [{"modelId": mid, "renderSettings": {"quality": "standard"}}] * 3  # 12 > 9
    res = client.post("/v1/renders/batch", headers=u.headers, json={"renders": items})
    assert res.status_code == 402 and res.json()["error"]["code"] == "no_credits"
    assert client.get("/v1/account", headers=u.headers).json()["data"]["credits"] == 9
    assert client.get("/v1/renders", headers=u.headers).json()["meta"]["total"] == 2
    ok = client.post("/v1/renders/batch", headers=u.headers, json={"renders": items[:2]})
    assert ok.status_code == 201, ok.text
    assert [set(r) for r in ok.json()["data"]] == [{"id", "modelId", "status"}] * 2
    assert client.get("/v1/account", headers=u.headers).json()["data"]["credits"] == 1
    res = client.post("/v1/renders/batch", headers=u.headers, json={"renders": []})
    assert res.json()["error"]["code"] == "renders_required"
    res = client.post("/v1/renders/batch", headers=u.headers, json={})
    assert res.json()["error"]["code"] == "renders_required"
    res = client.post(
        "/v1/renders/batch", headers=u.headers, json={"renders": [{"modelId": mid}] * 101}
    )
    assert res.status_code == 400 and res.json()["error"]["code"] == "too_many"
    res = client.post(
        "/v1/renders/batch",
        headers=u.headers,
        json={"renders": [{"modelId": mid}, {"renderSettings": {}}]},
    )
    assert res.json()["error"]["code"] == "model_id_required"
    assert "renders[1]" in res.json()["error"]["message"]


def test_whole_number_floats_are_accepted_for_integer_angles(client, user, model_id):
    settings = {"rotateY": 45.0, "tiltX": -10.0, "panX": 180.0, "rollZ": 0.0}
    res = client.post(
        "/v1/renders", headers=user.headers, json={"modelId": model_id, "renderSettings": settings}
    )
    assert res.status_code == 201, res.text
    stored = res.json()["data"]["renderSettings"]
    assert (stored["rotateY"], stored["tiltX"], stored["panX"], stored["rollZ"]) == (
        45,
        -10,
        180,
        0,
    )
    assert isinstance(stored["rotateY"], int)

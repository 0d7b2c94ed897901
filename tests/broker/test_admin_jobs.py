"""GET /v1/admin/jobs/:id — a job and its history, for admin accounts only."""

from __future__ import annotations

from jobstate import fail

from broker.db.engine import transaction
from broker.db.models import Render
from testdata import ASSETS


def test_a_failed_render_shows_its_whole_history(client, ctx, user, upload, make_user):
    admin = make_user(admin=True)
    rid = upload(user, ASSETS / "Duck.glb", '{"quality": "standard"}').json()["data"]["renderId"]
    with transaction(ctx.sessions) as session:
        assert fail(session, rid, "the model has no geometry")
        job_id = session.get(Render, rid).job_id
    for key in (job_id, rid):
        res = client.get(f"/v1/admin/jobs/{key}", headers=admin.headers)
        assert res.status_code == 200, res.text
        job = res.json()["data"]
        assert job["id"] == job_id and job["kind"] == "render" and job["state"] == "failed"
        assert job["spec"]["tier"] == "standard" and job["credits"] == 4
        assert job["errorMessage"] == "the model has no geometry"
        assert [(h["from"], h["to"]) for h in job["history"]] == [
            (None, "queued"),
            ("queued", "failed"),
        ]
        assert job["history"][0]["by"] == f"account:{user.account_id}"
        assert job["history"][1]["message"] == "the model has no geometry"
    client.patch(f"/v1/renders/{rid}/dismiss", headers=user.headers)
    history = client.get(f"/v1/admin/jobs/{rid}", headers=admin.headers).json()["data"]["history"]
    assert history[-1]["to"] == "dismissed" and history[-1]["by"] == f"account:{user.account_id}"


def test_only_admins_see_jobs_and_unknown_ids_are_404(client, user, upload, make_user):
    rid = upload(user, ASSETS / "Duck.glb").json()["data"]["renderId"]
    res = client.get(f"/v1/admin/jobs/{rid}", headers=user.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    admin = make_user(admin=True)
    res = client.get("/v1/admin/jobs/nope", headers=admin.headers)
    assert res.status_code == 404 and res.json()["error"]["code"] == "job_not_found"

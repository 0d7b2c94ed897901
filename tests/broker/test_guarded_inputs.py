"""Small surfaces that trusted too much: /metrics (fleet-wide counts) needs an admin
account's token, check-hash takes only a SHA-256, an overlay's layer cannot be empty."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from testdata import ASSETS


def test_metrics_need_an_admin_accounts_token(client, make_user):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").json()["error"]["code"] == "unauthorized"
    plain = make_user()
    res = client.get("/metrics", headers=plain.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    scoped = make_user(admin=True, scopes="models:read")
    res = client.get("/metrics", headers=scoped.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "insufficient_scope"

    admin = make_user(admin=True)
    res = client.get("/metrics", headers=admin.headers)
    assert res.status_code == 200 and "meshfarm_jobs" in res.text
    # A scraper's token: it reads /metrics and nothing else.
    scraper = make_user(admin=True, scopes="metrics:read")
    assert client.get("/metrics", headers=scraper.headers).status_code == 200
    res = client.get("/v1/models", headers=scraper.headers)
    assert res.status_code == 403 and res.json()["error"]["code"] == "insufficient_scope"
    assert client.head("/metrics", headers=scraper.headers).status_code == 200


def test_check_hash_takes_only_a_sha256(client, user, upload):
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    sha = hashlib.sha256((ASSETS / "Duck.glb").read_bytes()).hexdigest()
    for given in (sha, sha.upper(), f"  {sha}\n"):
        res = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": given})
        assert res.json()["data"] == {"exists": True, "modelId": model_id}, given
    for bad in ("abc", sha[:-1], sha + "0", "g" * 64, "' OR 1=1 --", sha[:32] + " " + sha[33:]):
        res = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": bad})
        assert res.status_code == 400, bad
        error = res.json()["error"]
        assert error["code"] == "invalid_request" and "64 hexadecimal" in error["message"], bad
    for missing in ({}, {"sha256": ""}, {"sha256": "   "}):
        res = client.post("/v1/models/check-hash", headers=user.headers, json=missing)
        assert res.json()["error"]["code"] == "sha256_required", missing


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 18), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def test_an_empty_overlay_layer_or_alignment_is_refused(client, user):
    def post(**fields: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/v1/overlays",
            headers=user.headers,
            files={"file": ("green.png", _png())},
            data=fields,
        )

    for fields, field in (({"layer": ""}, "layer"), ({"alignment": ""}, "alignment")):
        res = post(**fields)
        assert res.status_code == 400, fields
        error = res.json()["error"]
        assert error["code"] == "invalid_request" and error["message"].startswith(field), error
    assert client.get("/v1/overlays", headers=user.headers).json()["meta"]["total"] == 0
    # An empty name or description is no name / description.
    res = post(layer="foreground", name="", description="")
    assert res.status_code == 200, res.text
    data = res.json()["data"]
    assert (data["layer"], data["name"], data["description"]) == ("foreground", "green", None)

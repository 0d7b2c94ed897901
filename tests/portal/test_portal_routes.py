"""The portal's server side without a browser: it lives at / beside every API without
taking a path from any of them, its session cookie reaches the file routes and nothing
else, its configuration is the API's own, and the ledger lists what the credits did."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from broker.dialects.dxgl.render_settings import RenderSettings
from broker.portal.media_cookie import COOKIE
from exchange.formats import READ_SUFFIXES

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def test_the_portal_is_at_the_root_and_the_apis_keep_their_paths(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/portal/static/js/app.js">' in page.text
    assert (
        client.get("/portal/static/js/app.js").headers["content-type"].startswith("text/javascript")
    )
    viewer = client.head("/portal/static/vendor/model-viewer.min.js")
    assert viewer.status_code == 200, "run `make install` to vendor <model-viewer>"
    assert client.get("/v1/health").json()["data"]["status"] == "ok"
    assert client.get("/v1/docs").status_code == 200
    assert "/v1/models" in client.get("/v1/openapi.json").json()["paths"]
    assert client.get("/metrics").json()["error"]["code"] == "unauthorized"
    assert client.get("/rigyd/api/conversions").status_code == 401
    assert client.get("/v1/nowhere").json()["error"]["code"] == "not_found"
    assert client.get("/portal/static/nowhere.js").status_code == 404


def test_config_is_what_the_api_accepts(client: TestClient) -> None:
    config = client.get("/portal/config.json").json()
    assert config["uploadSuffixes"] == list(READ_SUFFIXES)
    assert set(config["renderSettings"]["properties"]) == set(RenderSettings.model_fields)
    assert config["maxLength"] == 30


def test_the_session_cookie_opens_the_file_routes_only(client: TestClient, user, upload) -> None:
    refused = client.post("/portal/session", headers={"Authorization": "Bearer dxgl_sk_nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert COOKIE not in refused.headers.get("set-cookie", "")

    signed_in = client.post("/portal/session", headers=user.headers)
    assert signed_in.status_code == 204
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={user.token};")
    for attribute in ("HttpOnly", "Path=/v1", "SameSite=strict"):
        assert attribute in cookie
    client.cookies.clear()

    model = upload(user, ASSETS / "BoxTextured.glb").json()["data"]
    jar = {"Cookie": f"{COOKIE}={user.token}"}
    # The model's file is served on the cookie alone, with Range as to any client.
    part = client.get(f"/v1/models/{model['modelId']}/file", headers={**jar, "Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"glTF"
    # A render's files: authenticated (not yet rendered), not refused.
    video = client.get(f"/v1/renders/{model['renderId']}/video", headers=jar)
    assert video.json()["error"]["code"] == "video_not_found"
    # Everything else still needs the header: the cookie lends nothing to the API.
    for method, path in (
        ("GET", "/v1/account"),
        ("GET", "/v1/models"),
        ("DELETE", f"/v1/models/{model['modelId']}"),
        ("POST", "/v1/renders"),
    ):
        answer = client.request(method, path, headers=jar)
        assert answer.status_code == 401, (method, path)

    signed_out = client.delete("/portal/session")
    assert signed_out.status_code == 204 and f'{COOKIE}=""' in signed_out.headers["set-cookie"]


def test_the_ledger_lists_what_the_credits_did(client: TestClient, make_user, upload) -> None:
    someone = make_user(credits=7)
    other = make_user(credits=3)
    model = upload(someone, ASSETS / "BoxTextured.glb").json()["data"]
    page = client.get("/portal/api/ledger", headers=someone.headers).json()
    assert page["meta"] == {"total": 2, "offset": 0, "limit": 50}
    reserve, signup = page["data"]
    assert (signup["kind"], signup["delta"], signup["renderId"]) == ("signup", 7, None)
    assert (reserve["kind"], reserve["delta"]) == ("reserve", -1)
    assert (reserve["renderId"], reserve["modelId"]) == (model["renderId"], model["modelId"])
    assert reserve["jobKind"] == "render" and reserve["createdAt"].endswith("Z")
    theirs = client.get("/portal/api/ledger?limit=1", headers=other.headers).json()
    assert [e["delta"] for e in theirs["data"]] == [3] and theirs["meta"]["limit"] == 1
    assert client.get("/portal/api/ledger").json()["error"]["code"] == "unauthorized"

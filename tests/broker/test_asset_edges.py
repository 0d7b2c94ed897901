"""The dx.gl edges of asset downloads, on the local store and both S3 servers alike:
RFC 9110 Range (invalid → ignored, unsatisfiable → 416 in the envelope), HEAD, ``?quality=``,
and a dataset render's media endpoints."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jobstate import succeed

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts
from s3servers import S3_SERVERS, s3_server_named, s3_store_settings
from testdata import ASSETS

SIZE = 100_000
ASSET_FILES = {
    "video": ("video.mp4", "video/mp4"),
    "web": ("web.mp4", "video/mp4"),
    "thumb": ("thumb.mp4", "video/mp4"),
    "poster": ("poster.png", "image/png"),
    "poster_full": ("poster_full.png", "image/png"),
}


@pytest.fixture(params=["local", *S3_SERVERS])
def farm(request, app_settings, tmp_path: Path):
    settings = app_settings
    if request.param != "local":
        server = s3_server_named(request, request.param)
        bucket = f"mf-{uuid.uuid4().hex[:12]}/objects"
        settings = s3_store_settings(
            tmp_path / "data", server, bucket, database_url=app_settings.database_url
        )
    ctx = AppContext.from_settings(settings)
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "a@example.com", initial_credits=100)
        token = accounts.issue_token(session, account).token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        with (ASSETS / "Duck.glb").open("rb") as fh:
            body = client.post("/v1/models", headers=headers, files={"file": ("d.glb", fh)})
        data = body.json()["data"]
        yield ctx, client, headers, data["renderId"], data["modelId"], tmp_path
    ctx.close()


def _publish(ctx: AppContext, render_id: str, tmp_path: Path, files=ASSET_FILES) -> dict:
    contents, assets = {}, {}
    for name, (filename, content_type) in files.items():
        data = os.urandom(SIZE)
        (tmp_path / filename).write_bytes(data)
        key = f"renders/{render_id}/attempt-1/{filename}"
        ctx.store.put_file(key, tmp_path / filename, content_type)
        contents[name] = data
        assets[name] = {"key": key, "content_type": content_type, "size": SIZE}
    with transaction(ctx.sessions) as session:
        succeed(session, render_id, assets=assets, file_size=SIZE, has_web_variant=True)
    return contents


IGNORED = [
    "bytes=500-200",  # last < first: invalid, so the header is ignored (RFC 9110 §14.1.1)
    "bytes=abc",
    "bytes=",
    "bytes=-",
    "bytes=1-2-3",
    "pages=0-10",
    "bytes 0-10",
    "bytes=0-10,zz",
    "bytes=0-1,5-6",  # several ranges: meshfarm sends the whole file rather than multipart
]


def test_range_follows_rfc_9110_on_every_store(farm):
    ctx, client, headers, rid, model_id, tmp_path = farm
    video = _publish(ctx, rid, tmp_path)["video"]
    url = f"/v1/renders/{rid}/video"

    for header in IGNORED:
        res = client.get(url, headers={**headers, "Range": header})
        assert res.status_code == 200, (header, res.status_code, res.text[:200])
        assert res.content == video and "content-range" not in res.headers, header
        assert res.headers["content-length"] == str(SIZE)

    huge = "9" * 5000
    past = f"bytes={SIZE + 10}-{SIZE + 20}"
    for header in (f"bytes={SIZE}-", past, "bytes=-0", f"bytes={huge}-"):
        res = client.get(url, headers={**headers, "Range": header})
        assert res.status_code == 416, (header, res.status_code)
        assert res.headers["content-range"] == f"bytes */{SIZE}", header
        error = res.json()["error"]
        assert error["code"] == "range_not_satisfiable" and error["status"] == 416
        assert str(SIZE) in error["message"]

    for header, (start, end) in {
        "bytes=0-0": (0, 0),
        "bytes=10-": (10, SIZE - 1),
        "bytes=-10": (SIZE - 10, SIZE - 1),
        "Bytes=3-4": (3, 4),
        f"bytes=5-{huge}": (5, SIZE - 1),
        f"bytes=-{huge}": (0, SIZE - 1),
        f"bytes={SIZE}-,7-8": (7, 8),  # the one satisfiable range of two
    }.items():
        res = client.get(url, headers={**headers, "Range": header})
        assert res.status_code == 206, (header, res.status_code, res.text[:200])
        assert res.headers["content-range"] == f"bytes {start}-{end}/{SIZE}", header
        assert res.content == video[start : end + 1], header

    etag = client.get(url, headers=headers).headers["etag"]
    res = client.get(url, headers={**headers, "Range": "bytes=0-9", "If-Range": etag})
    assert res.status_code == 206 and res.content == video[:10]
    res = client.get(url, headers={**headers, "Range": "bytes=0-9", "If-Range": '"other"'})
    assert res.status_code == 200 and res.content == video

    model_file = client.get(f"/v1/models/{model_id}/file", headers=headers).content
    res = client.get(f"/v1/models/{model_id}/file", headers={**headers, "Range": "bytes=900-100"})
    assert res.status_code == 200 and res.content == model_file
    res = client.get(f"/v1/models/{model_id}/file", headers={**headers, "Range": "bytes=4-7"})
    assert res.status_code == 206 and res.content == model_file[4:8]


def test_head_answers_like_get_without_a_body(farm):
    ctx, client, headers, rid, model_id, tmp_path = farm
    res = client.head("/v1/health")
    get = client.get("/v1/health")
    assert res.status_code == 200 and res.content == b""
    assert res.headers["content-length"] == get.headers["content-length"]

    pending = client.head(f"/v1/renders/{rid}/video", headers=headers)
    assert pending.status_code == 404 and pending.content == b""
    _publish(ctx, rid, tmp_path)
    for path in (
        f"/v1/renders/{rid}/video",
        f"/v1/renders/{rid}/video?quality=web",
        f"/v1/renders/{rid}/poster",
        f"/v1/renders/{rid}/poster?quality=full",
        f"/v1/renders/{rid}/thumb",
        f"/v1/renders/{rid}/bundle",
        f"/v1/models/{model_id}/file",
        f"/v1/renders/{rid}",
        f"/v1/models/{model_id}",
        "/v1/account",
    ):
        get = client.get(path, headers=headers)
        res = client.head(path, headers={**headers, "Range": "bytes=0-9"})
        assert res.status_code == 200, (path, res.status_code, res.text[:200])
        assert res.content == b"", path
        assert res.headers["content-type"] == get.headers["content-type"], path
        assert res.headers["content-length"] == str(len(get.content)), path
        assert "content-range" not in res.headers, path  # Range is for GET only


def test_a_405_names_every_method_of_its_path(client, user):
    for method, path, allow in (
        ("PUT", "/v1/models/abc", "GET, HEAD, PATCH, DELETE"),
        ("PUT", "/v1/models", "GET, HEAD, POST"),
        ("POST", "/v1/health", "GET, HEAD"),
        ("DELETE", "/v1/renders/abc/video", "GET, HEAD"),
        ("GET", "/v1/quote", "POST"),
        ("HEAD", "/v1/quote", "POST"),
        ("PUT", "/v1/overlays/abc", "DELETE"),
    ):
        res = client.request(method, path, headers=user.headers)
        assert res.status_code == 405, (method, path, res.status_code)
        assert res.headers["allow"] == allow, (method, path)
        if method != "HEAD":
            assert res.json()["error"]["code"] == "method_not_allowed"


def test_quality_names_the_allowed_value(client, user, upload):
    rid = upload(user, ASSETS / "Duck.glb").json()["data"]["renderId"]
    for path, allowed in (
        ("video?quality=full", "'web'"),
        ("video?quality=WEB", "'web'"),
        ("video?quality=standard", "'web'"),
        ("poster?quality=web", "'full'"),
        ("poster?quality=thumb", "'full'"),
    ):
        res = client.get(f"/v1/renders/{rid}/{path}", headers=user.headers)
        assert res.status_code == 400, path
        error = res.json()["error"]
        assert error["code"] == "invalid_request" and allowed in error["message"], error
    # An empty value is the default variant (here: not rendered yet).
    res = client.get(f"/v1/renders/{rid}/video?quality=", headers=user.headers)
    assert res.status_code == 404 and res.json()["error"]["code"] == "video_not_found"


def test_a_dataset_render_says_it_has_no_video(client, user, upload, ctx, tmp_path):
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    res = client.post(
        "/v1/renders",
        headers=user.headers,
        json={"modelId": model_id, "renderSettings": {"output": "dataset"}},
    )
    rid = res.json()["data"]["id"]

    def media_errors() -> None:
        for path in ("video", "video?quality=web", "poster", "poster?quality=full", "thumb"):
            res = client.get(f"/v1/renders/{rid}/{path}", headers=user.headers)
            assert res.status_code == 404, path
            error = res.json()["error"]
            assert error["code"] == "dataset_has_no_video", path
            assert "dataset" in error["message"] and "/bundle" in error["message"]

    media_errors()  # queued: it will never have a video either
    dataset = _publish(ctx, rid, tmp_path, {"dataset": ("dataset.zip", "application/zip")})
    media_errors()
    bundle = client.get(f"/v1/renders/{rid}/bundle", headers=user.headers)
    assert bundle.status_code == 200 and bundle.content == dataset["dataset"]
    part = client.get(f"/v1/renders/{rid}/bundle", headers={**user.headers, "Range": "bytes=-5"})
    assert part.status_code == 206 and part.content == dataset["dataset"][-5:]


def test_no_shared_cache_may_keep_an_asset(client, user, upload, ctx, tmp_path):
    rid = upload(user, ASSETS / "Duck.glb").json()["data"]["renderId"]
    contents = _publish(ctx, rid, tmp_path)
    res = client.get(f"/v1/renders/{rid}/bundle", headers=user.headers)
    assert res.headers["cache-control"].startswith("private")
    with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
        assert zf.read("video.mp4") == contents["video"]

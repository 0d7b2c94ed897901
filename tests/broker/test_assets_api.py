"""Asset downloads: not-found codes, HTTP Range, variants, the streamed bundle — local and S3."""

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

FILES = {
    "video": ("video.mp4", "video/mp4", 2_500_000),
    "web": ("web.mp4", "video/mp4", 400_000),
    "thumb": ("thumb.mp4", "video/mp4", 50_000),
    "poster": ("poster.png", "image/png", 3_000),
    "poster_full": ("poster_full.png", "image/png", 30_000),
}


@pytest.fixture(params=["local", *S3_SERVERS])
def setup(request, app_settings, tmp_path: Path):
    settings = app_settings
    if request.param != "local":
        server = s3_server_named(request, request.param)
        bucket = f"mf-{uuid.uuid4().hex[:12]}/objects"
        settings = s3_store_settings(
            tmp_path / "data", server, bucket, database_url=app_settings.database_url
        )
    ctx = AppContext.from_settings(settings)
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "a@example.com", initial_credits=10)
        token = accounts.issue_token(session, account).token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        with (ASSETS / "Duck.glb").open("rb") as fh:
            body = client.post("/v1/models", headers=headers, files={"file": ("d.glb", fh)})
        yield ctx, client, headers, body.json()["data"]["renderId"], tmp_path
    ctx.close()


def _publish(ctx, render_id: str, tmp_path: Path) -> dict[str, bytes]:
    contents, assets = {}, {}
    for name, (filename, content_type, size) in FILES.items():
        data = os.urandom(size)
        src = tmp_path / filename
        src.write_bytes(data)
        key = f"renders/{render_id}/attempt-1/{filename}"
        ctx.store.put_file(key, src, content_type)
        contents[name] = data
        assets[name] = {"key": key, "content_type": content_type, "size": size}
    with transaction(ctx.sessions) as session:
        succeed(
            session, render_id, assets=assets, file_size=FILES["video"][2], has_web_variant=True
        )
    return contents


def test_assets_before_and_after(setup):
    ctx, client, headers, rid, tmp_path = setup
    for path, code in (
        ("video", "video_not_found"),
        ("video?quality=web", "video_not_found"),
        ("poster", "poster_not_found"),
        ("poster?quality=full", "poster_not_found"),
        ("thumb", "thumb_not_found"),
        ("bundle", "video_not_found"),
    ):
        res = client.get(f"/v1/renders/{rid}/{path}", headers=headers)
        assert res.status_code == 404 and res.json()["error"]["code"] == code, path
    contents = _publish(ctx, rid, tmp_path)

    res = client.get(f"/v1/renders/{rid}/video", headers=headers)
    assert res.status_code == 200 and res.content == contents["video"]
    assert res.headers["content-type"] == "video/mp4"
    assert res.headers["accept-ranges"] == "bytes"
    assert "immutable" in res.headers["cache-control"]

    res = client.get(f"/v1/renders/{rid}/video", headers={**headers, "Range": "bytes=1000-1999"})
    assert res.status_code == 206
    assert res.headers["content-range"] == f"bytes 1000-1999/{len(contents['video'])}"
    assert res.content == contents["video"][1000:2000]
    res = client.get(f"/v1/renders/{rid}/video", headers={**headers, "Range": "bytes=-500"})
    assert res.status_code == 206 and res.content == contents["video"][-500:]
    res = client.get(f"/v1/renders/{rid}/video", headers={**headers, "Range": "bytes=2400000-"})
    assert res.status_code == 206 and res.content == contents["video"][2_400_000:]
    res = client.get(f"/v1/renders/{rid}/video", headers={**headers, "Range": "bytes=9999999-"})
    assert res.status_code == 416

    res = client.get(f"/v1/renders/{rid}/thumb", headers={**headers, "Range": "bytes=0-99"})
    assert res.status_code == 206 and res.content == contents["thumb"][:100]
    assert (
        client.get(f"/v1/renders/{rid}/video?quality=web", headers=headers).content
        == (contents["web"])
    )
    poster = client.get(f"/v1/renders/{rid}/poster", headers=headers)
    assert poster.headers["content-type"] == "image/png" and poster.content == contents["poster"]
    full = client.get(f"/v1/renders/{rid}/poster?quality=full", headers=headers)
    assert full.content == contents["poster_full"]

    res = client.get(f"/v1/renders/{rid}/bundle", headers=headers)
    assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
    assert "immutable" in res.headers["cache-control"]
    assert int(res.headers["content-length"]) == len(res.content)
    with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
        assert sorted(zf.namelist()) == ["poster.png", "thumb.mp4", "video.mp4", "web.mp4"]
        assert zf.read("video.mp4") == contents["video"]
        assert zf.read("poster.png") == contents["poster_full"]
        assert zf.testzip() is None

    assert client.delete(f"/v1/renders/{rid}", headers=headers).status_code == 200
    assert ctx.store.size(f"renders/{rid}/attempt-1/video.mp4") is None
    assert ctx.store.size(f"renders/{rid}/attempt-1/poster.png") is None


def test_files_lost_from_storage_are_a_404_not_a_broken_200(setup):
    ctx, client, headers, rid, tmp_path = setup
    _publish(ctx, rid, tmp_path)
    ctx.store.delete(f"renders/{rid}/attempt-1/thumb.mp4")
    ctx.store.delete(f"renders/{rid}/attempt-1/video.mp4")
    for path, code in (
        ("video", "video_not_found"),
        ("thumb", "thumb_not_found"),
        ("bundle", "video_not_found"),
    ):
        res = client.get(f"/v1/renders/{rid}/{path}", headers=headers)
        assert res.status_code == 404, path
        assert res.json()["error"]["code"] == code
    assert client.get(f"/v1/renders/{rid}/video?quality=web", headers=headers).status_code == 200

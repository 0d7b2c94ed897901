"""Bad uploads get a clear 4xx and leave nothing behind: no object, no row, no temp file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker.db.models import Model, Render
from testdata import ASSETS


def _assert_nothing_left(ctx, client, user) -> None:
    objects = ctx.settings.data_dir / "objects"
    assert not [p for p in objects.rglob("*") if p.is_file()], "an object was stored"
    assert not [p for p in ctx.settings.tmp_dir.rglob("*") if p.is_file()], "a temp file leaked"
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 0
        assert session.scalar(select(func.count()).select_from(Render)) == 0
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == 100


def _post(client, user, name: str, payload: bytes, settings: str | None = None):
    data = {"renderSettings": settings} if settings is not None else {}
    return client.post(
        "/v1/models", headers=user.headers, files={"file": (name, payload)}, data=data
    )


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("truncated_chunk_data.glb", "GLB header says"),
        ("invalid_magic.glb", "bad magic"),
        ("empty_file.glb", "empty"),
        ("invalid_syntax.gltf", "JSON is not valid"),
        ("RecursiveNodes.gltf", "cycle"),
        ("BoxWithInfinites.glb", "infinite"),
        ("MissingBin-BoxTextured.gltf", "external file"),
        ("index_buffer_oob.zip", "past its"),
        ("integer-out-of-bounds.zip", "byteLength"),
    ],
)
def test_hostile_and_broken_models_are_refused(ctx, client, user, name, needle):
    res = _post(client, user, name, (ASSETS / "bad" / name).read_bytes())
    assert res.status_code == 400, res.text
    err = res.json()["error"]
    assert err["code"] == "invalid_format"
    assert needle in err["message"]
    _assert_nothing_left(ctx, client, user)


def test_truncated_real_glb_is_refused(ctx, client, user):
    data = (ASSETS / "Duck.glb").read_bytes()
    res = _post(client, user, "Duck.glb", data[: len(data) // 2])
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_format"
    _assert_nothing_left(ctx, client, user)


def test_non_gltf_file_renamed_glb(ctx, client, user):
    res = _post(client, user, "photo.glb", b"\x89PNG\r\n\x1a\n" + b"\0" * 2000)
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_format"
    _assert_nothing_left(ctx, client, user)


def test_wrong_extension_and_missing_file(ctx, client, user):
    res = _post(client, user, "model.fbx", (ASSETS / "Duck.glb").read_bytes())
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_format"
    res = client.post("/v1/models", headers=user.headers, data={"renderSettings": "{}"})
    assert res.status_code == 400 and res.json()["error"]["code"] == "no_file"
    res = client.post("/v1/models", headers=user.headers, json={"file": "x"})
    assert res.status_code == 400 and res.json()["error"]["code"] == "no_file"
    _assert_nothing_left(ctx, client, user)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def test_zip_with_path_traversal(ctx, client, user):
    obj = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    res = _post(client, user, "scan.zip", _zip({"../x.obj": obj}))
    assert res.status_code == 400 and "unsafe path" in res.json()["error"]["message"]
    res = _post(client, user, "scan.zip", _zip({"scan.obj": obj, "..\\..\\evil.mtl": b"x"}))
    assert res.status_code == 400 and "unsafe path" in res.json()["error"]["message"]
    assert not (ctx.settings.data_dir.parent / "x.obj").exists()
    _assert_nothing_left(ctx, client, user)


def test_zip_bomb_is_refused_as_too_large(ctx, client, user):
    ctx.settings.max_unzipped_bytes = 50 * 1024 * 1024
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("scan.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        with zf.open("texture.png", "w") as out:
            block = b"\0" * (1024 * 1024)
            for _ in range(64):
                out.write(block)
    payload = buf.getvalue()
    assert len(payload) < 200_000
    res = _post(client, user, "bomb.zip", payload)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "file_too_large"
    _assert_nothing_left(ctx, client, user)


def test_zip_needs_exactly_one_model(ctx, client, user):
    obj = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    res = _post(client, user, "two.zip", _zip({"a.obj": obj, "b.obj": obj}))
    assert res.status_code == 400 and "one model" in res.json()["error"]["message"]
    res = _post(client, user, "none.zip", _zip({"readme.txt": b"hi"}))
    assert res.status_code == 400 and "no model" in res.json()["error"]["message"]
    res = _post(client, user, "junk.zip", b"PK\x03\x04 definitely not a zip")
    assert res.status_code == 400 and "ZIP" in res.json()["error"]["message"]
    _assert_nothing_left(ctx, client, user)


def test_upload_over_the_limit_is_refused(ctx, client, user, tmp_path: Path):
    limit = ctx.settings.max_upload_bytes
    big = tmp_path / "big.glb"
    with big.open("wb") as fh:
        fh.truncate(limit + 1)
    with big.open("rb") as fh:
        res = client.post("/v1/models", headers=user.headers, files={"file": ("big.glb", fh)})
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "file_too_large"
    _assert_nothing_left(ctx, client, user)


@pytest.mark.parametrize(
    ("raw_settings", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('"a string"', "must be a JSON object"),
        ('{"quality": "8k"}', "renderSettings.quality"),
        ('{"lenght": 6}', "renderSettings.lenght: unknown field"),
        ('{"length": "6"}', "renderSettings.length"),
        ('{"shadows": "yes"}', "renderSettings.shadows"),
        ('{"length": 31}', "renderSettings.length"),
        ('{"bgColor": "fff"}', "renderSettings.bgColor"),
    ],
)
def test_bad_render_settings_on_upload(ctx, client, user, raw_settings, needle):
    res = _post(client, user, "Duck.glb", (ASSETS / "Duck.glb").read_bytes(), raw_settings)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "invalid_settings"
    assert needle in res.json()["error"]["message"]
    _assert_nothing_left(ctx, client, user)


def test_upload_without_credits_stores_nothing(ctx, client, make_user):
    poor = make_user(credits=0)
    res = _post(client, poor, "Duck.glb", (ASSETS / "Duck.glb").read_bytes())
    assert res.status_code == 402 and res.json()["error"]["code"] == "no_credits"
    objects = ctx.settings.data_dir / "objects"
    assert not [p for p in objects.rglob("*") if p.is_file()]

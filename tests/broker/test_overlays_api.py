"""Overlays through HTTP: upload, list (own + system), delete, and bgImageId on renders."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from typer.testing import CliRunner

from broker.cli import app as cli
from testdata import ASSETS


def png(size: tuple[int, int] = (64, 36), colour: tuple[int, ...] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if len(colour) == 4 else "RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def post_overlay(client):  # type: ignore[no-untyped-def]
    def post(user, data: bytes, filename: str = "bg.png", **fields):  # type: ignore[no-untyped-def]
        return client.post(
            "/v1/overlays", headers=user.headers, files={"file": (filename, data)}, data=fields
        )

    return post


def test_upload_list_and_delete(client, ctx, user, post_overlay):
    res = post_overlay(user, png(), filename="Gradient.png", alignment="center", colour="x")
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_request"
    res = post_overlay(user, png(), filename="Gradient.png", alignment="center")
    assert res.status_code == 200, res.text
    overlay = res.json()["data"]
    assert overlay["layer"] == "background" and overlay["alignment"] == "center"
    assert overlay["name"] == "Gradient" and overlay["system"] is False
    assert (overlay["width"], overlay["height"]) == (64, 36)
    fg = post_overlay(user, png(), layer="foreground", name="logo", description="a logo")
    assert fg.status_code == 200, fg.text
    assert fg.json()["data"]["name"] == "logo"  # the form field beats the file name

    listing = client.get("/v1/overlays", headers=user.headers).json()
    assert listing["meta"]["total"] == 2
    backgrounds = client.get("/v1/overlays?layer=background", headers=user.headers).json()
    assert [o["id"] for o in backgrounds["data"]] == [overlay["id"]]
    bad = client.get("/v1/overlays?layer=middle", headers=user.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"

    key = f"overlays/{overlay['id']}/image.png"
    assert ctx.store.exists(key)
    gone = client.delete(f"/v1/overlays/{overlay['id']}", headers=user.headers)
    assert gone.status_code == 200 and gone.json()["data"]["id"] == overlay["id"]
    assert not ctx.store.exists(key)
    again = client.delete(f"/v1/overlays/{overlay['id']}", headers=user.headers)
    assert again.status_code == 404 and again.json()["error"]["code"] == "overlay_not_found"


def test_system_overlays_are_usable_by_everyone_but_deleted_only_by_the_owner(
    client, make_user, upload, post_overlay, app_settings, monkeypatch
):
    admin, other = make_user(admin=True), make_user()
    overlay = post_overlay(admin, png()).json()["data"]
    assert client.get("/v1/overlays", headers=other.headers).json()["meta"]["total"] == 0
    monkeypatch.setenv("MESHFARM_DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("MESHFARM_DATABASE_URL", app_settings.resolved_database_url)
    result = CliRunner().invoke(cli, ["admin", "publish-overlay", overlay["id"]])
    assert result.exit_code == 0, result.output
    listed = client.get("/v1/overlays", headers=other.headers).json()["data"]
    assert [(o["id"], o["system"]) for o in listed] == [(overlay["id"], True)]
    model_id = upload(other, ASSETS / "Duck.glb").json()["data"]["modelId"]
    res = client.post(
        "/v1/renders",
        headers=other.headers,
        json={"modelId": model_id, "renderSettings": {"bgImageId": overlay["id"]}},
    )
    assert res.status_code == 201, res.text
    res = client.delete(f"/v1/overlays/{overlay['id']}", headers=other.headers)
    assert res.status_code == 404 and res.json()["error"]["code"] == "overlay_not_found"
    missing = CliRunner().invoke(cli, ["admin", "publish-overlay", "nope"])
    assert missing.exit_code == 1


def _truncated_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((256, 256), 50).convert("RGB").save(out, format="PNG")
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ((ASSETS / "Duck.glb").read_bytes(), "invalid_format", "not a PNG, JPEG or WebP"),
        (_truncated_png(), "invalid_format", "cannot be decoded"),
        (png((9000, 4)), "invalid_format", "too large"),
        (b"", "invalid_format", "not a PNG"),
        (b"x" * (10 * 1024 * 1024 + 1), "file_too_large", "10 MB"),
    ],
)
def test_bad_images_are_refused_and_nothing_is_kept(
    client, ctx, user, post_overlay, payload, code, words
):
    res = post_overlay(user, payload)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == code
    assert words in res.json()["error"]["message"]
    assert client.get("/v1/overlays", headers=user.headers).json()["meta"]["total"] == 0
    assert not (ctx.settings.data_dir / "objects" / "overlays").exists()
    assert list(ctx.settings.tmp_dir.iterdir()) == []


def test_overlay_fields_are_validated(user, post_overlay):
    for fields, field in (
        ({"layer": "middle"}, "layer"),
        ({"alignment": "somewhere"}, "alignment"),
        ({"name": "n" * 101}, "name"),
        ({"description": "d" * 501}, "description"),
    ):
        res = post_overlay(user, png(), **fields)
        assert res.status_code == 400, fields
        assert res.json()["error"]["code"] == "invalid_request"
        assert field in res.json()["error"]["message"]


def test_bg_image_id_must_name_a_usable_background_overlay(client, make_user, upload, post_overlay):
    owner, stranger = make_user(credits=50), make_user(credits=50)
    model_id = upload(owner, ASSETS / "BoxTextured.glb").json()["data"]["modelId"]
    bg = post_overlay(owner, png(), alignment="bottom-right").json()["data"]
    fg = post_overlay(owner, png(), layer="foreground").json()["data"]

    def create(user, settings):  # type: ignore[no-untyped-def]
        return client.post(
            "/v1/renders",
            headers=user.headers,
            json={"modelId": model_id, "renderSettings": settings},
        )

    res = create(owner, {"bgImageId": bg["id"]})
    assert res.status_code == 201, res.text
    stored = res.json()["data"]["renderSettings"]
    assert stored["bgImageId"] == bg["id"]
    assert stored["bgAlign"] == "bottom-right"  # the overlay's own anchor by default
    res = create(owner, {"bgImageId": bg["id"], "bgAlign": "top-center"})
    assert res.json()["data"]["renderSettings"]["bgAlign"] == "top-center"

    for settings, words in (
        ({"bgImageId": "doesNotExist"}, "not found"),
        ({"bgImageId": fg["id"]}, "foreground"),
    ):
        res = create(owner, settings)
        assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_settings"
        assert "bgImageId" in res.json()["error"]["message"] and words in res.text
    # another account's private overlay does not exist for the stranger (a model of theirs)
    theirs = upload(stranger, ASSETS / "Duck.glb").json()["data"]["modelId"]
    res = client.post(
        "/v1/renders",
        headers=stranger.headers,
        json={"modelId": theirs, "renderSettings": {"bgImageId": bg["id"]}},
    )
    assert res.status_code == 400 and "not found" in res.json()["error"]["message"]
    batch = client.post(
        "/v1/renders/batch",
        headers=owner.headers,
        json={"renders": [{"modelId": model_id, "renderSettings": {"bgImageId": "nope"}}]},
    )
    assert batch.status_code == 400 and "renders[0]" in batch.json()["error"]["message"]


def test_upload_with_a_bg_image_in_render_settings(client, user, upload, post_overlay):
    bg = post_overlay(user, png()).json()["data"]
    res = upload(user, ASSETS / "BoxTextured.glb", f'{{"bgImageId": "{bg["id"]}"}}')
    assert res.status_code == 201, res.text
    render = client.get(f"/v1/renders/{res.json()['data']['renderId']}", headers=user.headers)
    assert render.json()["data"]["renderSettings"]["bgImageId"] == bg["id"]
    res = upload(user, ASSETS / "Duck.glb", '{"bgImageId": "unknown"}')
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_settings"

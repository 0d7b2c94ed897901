"""Environment maps through HTTP: an overlay of layer ``environment`` (.hdr / .exr) and the
lighting extensions of renderSettings, which a dx.gl client never sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from testdata import ASSETS

HDR = ASSETS / "environments" / "chinese_garden_1k.hdr"


def _post(client, user, data: bytes, filename: str = "sky.hdr", **fields):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/overlays", headers=user.headers, files={"file": (filename, data)}, data=fields
    )


def _hdr_header(width: int, height: int) -> bytes:
    return f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n".encode() + b"\0" * 16


def test_an_hdr_uploads_as_an_environment_and_lights_renders(client, ctx, user, upload):  # type: ignore[no-untyped-def]
    res = _post(client, user, HDR.read_bytes(), layer="environment")
    assert res.status_code == 200, res.text
    env = res.json()["data"]
    assert env["layer"] == "environment" and (env["width"], env["height"]) == (1024, 512)
    assert ctx.store.exists(f"overlays/{env['id']}/image.hdr")
    listed = client.get("/v1/overlays?layer=environment", headers=user.headers).json()["data"]
    assert [o["id"] for o in listed] == [env["id"]]

    settings = (
        f'{{"environment": "{env["id"]}", "environmentRotation": 90, '
        '"environmentIntensity": 1.5, "toneMapping": "aces", "keyLight": false, '
        '"background": "environment"}'
    )
    res = upload(user, ASSETS / "Duck.glb", settings)
    assert res.status_code == 201, res.text
    render = client.get(f"/v1/renders/{res.json()['data']['renderId']}", headers=user.headers)
    stored = render.json()["data"]["renderSettings"]
    assert stored["environment"] == env["id"] and stored["toneMapping"] == "aces"
    assert stored["environmentRotation"] == 90 and stored["background"] == "environment"


def test_dx_gl_settings_are_echoed_without_the_extensions(client, user, upload):  # type: ignore[no-untyped-def]
    res = upload(user, ASSETS / "Duck.glb", '{"quality": "standard"}')
    render = client.get(f"/v1/renders/{res.json()['data']['renderId']}", headers=user.headers)
    stored = render.json()["data"]["renderSettings"]
    extensions = {"environment", "toneMapping", "keyLight", "background", "materialVariant"}
    assert not extensions & set(stored)


@pytest.mark.parametrize(
    ("data", "filename", "needle"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "sky.png", "Radiance .hdr or an OpenEXR"),
        (_hdr_header(300, 100), "wide.hdr", "equirectangular"),
        (_hdr_header(20000, 10000), "huge.hdr", "outside"),
        (b"#?RADIANCE\nno end", "cut.hdr", "header"),
    ],
)
def test_unusable_environment_files_are_refused_at_upload(  # type: ignore[no-untyped-def]
    client, ctx, user, data: bytes, filename: str, needle: str
):
    res = _post(client, user, data, filename=filename, layer="environment")
    assert res.status_code == 400, res.text
    body = res.json()["error"]
    assert body["code"] == "invalid_format" and needle in body["message"]
    assert client.get("/v1/overlays", headers=user.headers).json()["meta"]["total"] == 0


def test_environment_must_name_a_builtin_or_an_environment_overlay(client, user, upload):  # type: ignore[no-untyped-def]
    model = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    bg = _post(client, user, (ASSETS / "backdrop.png").read_bytes(), filename="bg.png").json()
    env = _post(client, user, HDR.read_bytes(), layer="environment").json()["data"]

    def render(settings: dict) -> dict:  # type: ignore[type-arg]
        res = client.post(
            "/v1/renders",
            headers=user.headers,
            json={"modelId": model, "renderSettings": settings},
        )
        return {"status": res.status_code, **res.json()}

    assert render({"environment": "studio"})["status"] == 201
    for settings in ({"environment": "nope"}, {"environment": bg["data"]["id"]}):
        res = render(settings)
        assert res["status"] == 400 and res["error"]["code"] == "invalid_settings"
        assert "renderSettings.environment" in res["error"]["message"]
    res = render({"bgImageId": env["id"]})
    assert res["status"] == 400 and "environment overlay" in res["error"]["message"]
    res = render({"toneMapping": "filmic"})
    assert res["status"] == 400 and "toneMapping" in res["error"]["message"]


def test_an_image_overlay_keeps_its_10_mb_limit(client, user, tmp_path: Path):  # type: ignore[no-untyped-def]
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024 + 1)
    res = _post(client, user, big, filename="big.png")
    assert res.status_code == 400 and res.json()["error"]["code"] == "file_too_large"

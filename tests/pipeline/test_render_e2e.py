"""Upload → preview → share render → downloads, through HTTP with real worker processes."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import time
import zipfile

import av
import numpy as np
import pytest
from PIL import Image

from broker.db.engine import transaction
from broker.db.models import Render
from broker.fleet import set_draining
from broker.services import accounts
from checks import assert_retried_once_and_charged_once
from testdata import ASSETS

pytestmark = pytest.mark.slow


@pytest.fixture
def user_headers(farm_ctx):
    with transaction(farm_ctx.sessions) as session:
        account = accounts.create_account(session, "e2e@example.com", initial_credits=200)
        token = accounts.issue_token(session, account).token
    return {"Authorization": f"Bearer {token}"}, account.id


def _decode(data: bytes) -> tuple[str, int, int, str, list[np.ndarray]]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return stream.codec_context.name, stream.width, stream.height, stream.pix_fmt, frames


def _dispatcher_lines(caplog: pytest.LogCaptureFixture, render_id: str) -> list[str]:
    """What the broker's log says about one render (one line per start / finish / failure)."""
    lines = [r.getMessage() for r in caplog.records if r.name == "meshfarm.dispatcher"]
    return [line for line in lines if line.startswith(f"render {render_id} ")]


def test_share_render_end_to_end(farm, farm_ctx, user_headers, wait_for, caplog):
    caplog.set_level(logging.INFO, logger="meshfarm.dispatcher")
    headers, _ = user_headers
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        res = farm.post(
            "/v1/models",
            headers=headers,
            files={"file": ("box.glb", fh)},
            data={"renderSettings": json.dumps({"length": 6, "bgColor": "#336699"})},
        )
    assert res.status_code == 201, res.text
    body = res.json()["data"]
    model = farm.get(f"/v1/models/{body['modelId']}", headers=headers).json()["data"]
    preview_id = next(r["id"] for r in model["renders"] if r["is_system_preview"])
    preview = wait_for(preview_id, headers)
    assert preview["status"] == "done", preview["errorMessage"]

    seen = set()
    deadline = time.monotonic() + 600
    while True:
        data = farm.get(f"/v1/renders/{body['renderId']}", headers=headers).json()["data"]
        seen.add(data["status"])
        if data["status"] == "poster-done":
            poster = farm.get(f"/v1/renders/{body['renderId']}/poster", headers=headers)
            assert poster.status_code == 200
        if data["status"] in ("done", "error"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert data["status"] == "done", data["errorMessage"]
    assert data["hasWebVariant"] is True and data["fileSize"] > 0
    logged = _dispatcher_lines(caplog, body["renderId"])
    assert [line.split(" ")[2] for line in logged] == ["started", "finished"], logged

    video = farm.get(f"/v1/renders/{body['renderId']}/video", headers=headers)
    assert video.headers["content-type"] == "video/mp4"
    assert len(video.content) == data["fileSize"]
    codec, width, height, _, frames = _decode(video.content)
    assert (codec, width, height, len(frames)) == ("h264", 960, 540, 180)

    full = np.asarray(
        Image.open(
            io.BytesIO(
                farm.get(
                    f"/v1/renders/{body['renderId']}/poster?quality=full", headers=headers
                ).content
            )
        ).convert("RGB")
    )
    assert full.shape == (540, 960, 3)
    assert np.abs(full.astype(int) - frames[0].astype(int)).mean() < 6
    corner = frames[0][5, 5].astype(int)
    assert np.abs(corner - [0x33, 0x66, 0x99]).max() < 12

    small = Image.open(
        io.BytesIO(farm.get(f"/v1/renders/{body['renderId']}/poster", headers=headers).content)
    )
    assert max(small.size) <= 480
    _, ww, wh, _, _ = _decode(
        farm.get(f"/v1/renders/{body['renderId']}/video?quality=web", headers=headers).content
    )
    assert max(ww, wh) <= 1280
    thumb = farm.get(f"/v1/renders/{body['renderId']}/thumb", headers=headers)
    assert _decode(thumb.content)[1:3] == (480, 270)

    part = farm.get(
        f"/v1/renders/{body['renderId']}/video", headers={**headers, "Range": "bytes=100-1099"}
    )
    assert part.status_code == 206 and part.content == video.content[100:1100]

    bundle = farm.get(f"/v1/renders/{body['renderId']}/bundle", headers=headers)
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        assert sorted(zf.namelist()) == ["poster.png", "thumb.mp4", "video.mp4", "web.mp4"]
        assert zf.read("video.mp4") == video.content


def test_a_render_that_cannot_be_drawn_ends_in_error_with_credits_back(
    farm, farm_ctx, user_headers, wait_for, caplog
):
    """What the upload check cannot see fails the render, never the worker: here an
    environment map whose header is sound and whose pixels are cut off (a model that
    requires an unknown extension is refused at upload now: test_upload_extensions.py)."""
    caplog.set_level(logging.INFO, logger="meshfarm.dispatcher")
    headers, _ = user_headers
    broken = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 512 +X 1024\n\x02\x02\x04\x00\x80"
    env = farm.post(
        "/v1/overlays",
        headers=headers,
        files={"file": ("cut.hdr", broken)},
        data={"layer": "environment"},
    )
    assert env.status_code == 200, env.text
    settings = json.dumps({"quality": "standard", "environment": env.json()["data"]["id"]})
    with (ASSETS / "Duck.glb").open("rb") as fh:
        res = farm.post(
            "/v1/models",
            headers=headers,
            files={"file": ("duck.glb", fh)},
            data={"renderSettings": settings},
        )
    assert res.status_code == 201, res.text
    assert farm.get("/v1/account", headers=headers).json()["data"]["credits"] == 196
    data = wait_for(res.json()["data"]["renderId"], headers)
    assert data["status"] == "error"
    assert "hdr" in data["errorMessage"]
    logged = _dispatcher_lines(caplog, data["id"])
    assert logged[0].startswith(f"render {data['id']} started"), logged
    assert any(" failed " in line and "hdr" in line for line in logged)
    assert farm.get("/v1/account", headers=headers).json()["data"]["credits"] == 200
    res = farm.patch(f"/v1/renders/{data['id']}/dismiss", headers=headers)
    assert res.json()["data"]["status"] == "failed"


def test_a_killed_worker_is_retried_and_charged_once(
    farm, farm_ctx, dispatcher, user_headers, wait_for
):
    headers, account_id = user_headers
    with (ASSETS / "Duck.glb").open("rb") as fh:
        body = farm.post("/v1/models", headers=headers, files={"file": ("duck.glb", fh)}).json()[
            "data"
        ]
    # the preview runs first; wait until the worker is busy with the charged render
    deadline = time.monotonic() + 300
    while True:
        with farm_ctx.sessions() as session:
            job = session.get(Render, body["renderId"]).job
        if job.state == "running":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    for pid in dispatcher.executor.pids():  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    data = wait_for(body["renderId"], headers)
    assert data["status"] == "done", data["errorMessage"]
    assert_retried_once_and_charged_once(farm_ctx, body["renderId"], account_id)


def _box_batch(farm, headers, colours: list[str]) -> list[dict]:
    """BoxTextured uploaded (or found again) and one 3 s render per background colour."""
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        model_id = farm.post("/v1/models", headers=headers, files={"file": ("box.glb", fh)}).json()[
            "data"
        ]["modelId"]
    return farm.post(
        "/v1/renders/batch",
        headers=headers,
        json={
            "renders": [
                {"modelId": model_id, "renderSettings": {"length": 3, "bgColor": c}}
                for c in colours
            ]
        },
    ).json()["data"]


def test_same_model_batch_shares_frames_and_keeps_each_background(
    farm, farm_ctx, user_headers, wait_for
):
    headers, _ = user_headers
    colours = ["#ffffff", "#000000", "#336699", "#ff8800"]
    batch = _box_batch(farm, headers, colours)
    centres = []
    for item, colour in zip(batch, colours, strict=True):
        data = wait_for(item["id"], headers)
        assert data["status"] == "done", data["errorMessage"]
        codec, width, height, _, frames = _decode(
            farm.get(f"/v1/renders/{item['id']}/video", headers=headers).content
        )
        assert (codec, width, height, len(frames)) == ("h264", 960, 540, 90)
        expected = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(frames[0][3, 3].astype(int) - expected).max() < 12, colour
        centres.append(frames[0][270, 480].astype(int))
    for centre in centres[1:]:  # the model itself looks the same in every variant
        assert np.abs(centre - centres[0]).max() < 8


def test_identical_variants_of_a_batch_each_get_every_file(farm, farm_ctx, user_headers, wait_for):
    """Two variants with the same codec and background share one encode (the worker
    uploads its files for both); a third with another background gets its own."""
    headers, _ = user_headers
    colours = ["#336699", "#336699", "#ff8800"]
    batch = _box_batch(farm, headers, colours)
    files: list[dict[str, bytes]] = []
    for item, colour in zip(batch, colours, strict=True):
        data = wait_for(item["id"], headers)
        assert data["status"] == "done", data["errorMessage"]
        got = {}
        for path in ("video", "video?quality=web", "thumb", "poster"):
            response = farm.get(f"/v1/renders/{item['id']}/{path}", headers=headers)
            assert response.status_code == 200, (path, response.text)
            got[path] = response.content
        _, _, _, _, frames = _decode(got["video"])
        expected = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(frames[0][3, 3].astype(int) - expected).max() < 12, colour
        files.append(got)
    assert files[0] == files[1]
    assert files[0]["video"] != files[2]["video"]


def test_pro_render_is_prores_4444_with_a_transparent_background(
    farm, farm_ctx, user_headers, wait_for
):
    headers, _ = user_headers
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        body = farm.post(
            "/v1/models",
            headers=headers,
            files={"file": ("box.glb", fh)},
            data={"renderSettings": '{"quality": "pro", "length": 3, "bgColor": "#000000"}'},
        ).json()["data"]
    data = wait_for(body["renderId"], headers, timeout=1200)
    assert data["status"] == "done", data["errorMessage"]
    video = farm.get(f"/v1/renders/{body['renderId']}/video", headers=headers)
    assert video.headers["content-type"] == "video/quicktime"
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "prores"
        assert "yuva" in stream.pix_fmt
        assert (stream.width, stream.height) == (3840, 2160)
        first = next(container.decode(stream)).to_ndarray(format="rgba")
    assert first[10, 10, 3] == 0  # background: transparent
    assert first[1080, 1920, 3] == 255  # the model, in the middle of the frame
    poster = np.asarray(
        Image.open(
            io.BytesIO(
                farm.get(
                    f"/v1/renders/{body['renderId']}/poster?quality=full", headers=headers
                ).content
            )
        ).convert("RGB")
    )
    assert tuple(poster[10, 10]) == (0, 0, 0)  # bgColor applies to the poster
    bundle = farm.get(f"/v1/renders/{body['renderId']}/bundle", headers=headers)
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        assert sorted(zf.namelist()) == ["poster.png", "thumb.mp4", "video.mov", "web.mp4"]


def test_dataset_render_is_a_bundle_zip(farm, farm_ctx, user_headers, wait_for):
    headers, _ = user_headers
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        model_id = farm.post("/v1/models", headers=headers, files={"file": ("box.glb", fh)}).json()[
            "data"
        ]["modelId"]
    before = farm.get("/v1/account", headers=headers).json()["data"]["credits"]
    res = farm.post(
        "/v1/renders",
        headers=headers,
        json={"modelId": model_id, "renderSettings": {"output": "dataset"}},
    )
    assert res.status_code == 201, res.text
    assert farm.get("/v1/account", headers=headers).json()["data"]["credits"] == before - 4
    data = wait_for(res.json()["data"]["id"], headers, timeout=900)
    assert data["status"] == "done", data["errorMessage"]
    bundle = farm.get(f"/v1/renders/{data['id']}/bundle", headers=headers)
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert len(bundle.content) == data["fileSize"]
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        names = set(zf.namelist())
        transforms = json.loads(zf.read("transforms.json"))
    assert len(transforms["frames"]) == 100 and transforms["w"] == 800
    assert {"overview.webp", "transforms.json"} <= names
    assert all(f["file_path"] in names for f in transforms["frames"])
    video = farm.get(f"/v1/renders/{data['id']}/video", headers=headers)
    assert video.status_code == 404 and video.json()["error"]["code"] == "dataset_has_no_video"


def _split_png(left: tuple[int, int, int], right: tuple[int, int, int]) -> bytes:
    """A 1600×1200 image, left half one colour, right half another (4:3: cropped at 16:9)."""
    image = np.zeros((1200, 1600, 3), np.uint8)
    image[:, :800], image[:, 800:] = left, right
    image[1100:] = (250, 250, 250)  # a bottom band the top-left crop keeps off the frame
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


def test_background_overlay_is_cropped_under_the_model(farm, farm_ctx, user_headers, wait_for):
    headers, _ = user_headers
    overlay = farm.post(
        "/v1/overlays",
        headers=headers,
        files={"file": ("split.png", _split_png((220, 30, 30), (30, 30, 220)))},
    ).json()["data"]
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        model_id = farm.post("/v1/models", headers=headers, files={"file": ("box.glb", fh)}).json()[
            "data"
        ]["modelId"]
    settings = {"length": 3, "bgImageId": overlay["id"], "bgColor": "#00ff00", "shadows": False}
    res = farm.post(
        "/v1/renders", headers=headers, json={"modelId": model_id, "renderSettings": settings}
    )
    assert res.status_code == 201, res.text
    data = wait_for(res.json()["data"]["id"], headers)
    assert data["status"] == "done", data["errorMessage"]
    _, width, height, _, frames = _decode(
        farm.get(f"/v1/renders/{data['id']}/video", headers=headers).content
    )
    assert (width, height, len(frames)) == (960, 540, 90)
    first = frames[0].astype(int)
    assert np.abs(first[530, 10] - (220, 30, 30)).max() < 12  # top-left crop: no white band
    assert np.abs(first[10, 950] - (30, 30, 220)).max() < 12
    assert np.abs(first[270, 480] - first[10, 10]).max() > 40  # the model is drawn over it

    # an overlay deleted before its render runs: a clear error, credits back
    before = farm.get("/v1/account", headers=headers).json()["data"]["credits"]
    doomed = farm.post(
        "/v1/overlays", headers=headers, files={"file": ("x.png", _split_png((1, 2, 3), (4, 5, 6)))}
    ).json()["data"]
    with transaction(farm_ctx.sessions) as session:  # the render must not start before the delete
        set_draining(session, True)
    res = farm.post(
        "/v1/renders",
        headers=headers,
        json={"modelId": model_id, "renderSettings": {"length": 3, "bgImageId": doomed["id"]}},
    )
    assert farm.delete(f"/v1/overlays/{doomed['id']}", headers=headers).status_code == 200
    with transaction(farm_ctx.sessions) as session:
        set_draining(session, False)
    data = wait_for(res.json()["data"]["id"], headers)
    assert data["status"] == "error" and "no longer exists" in data["errorMessage"]
    assert farm.get("/v1/account", headers=headers).json()["data"]["credits"] == before

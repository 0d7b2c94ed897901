"""The SDK and the command line against a whole farm (uvicorn, dispatcher, a render
worker): upload, render, wait and download a real model and judge the MP4 with PyAV; a
download cut short resumes byte for byte; a CSV catalogue runs from the command line; and
Ctrl-C while watching leaves the renders running and says how to come back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import av
import pytest
from meshfarm_client import AsyncClient, Client, InvalidRequest, NotFound, RenderSettings
from meshfarm_client.cli import app
from typer.testing import CliRunner

from testdata import ASSETS

pytestmark = pytest.mark.slow
BOX = ASSETS / "BoxTextured.glb"
DUCK = ASSETS / "Duck.glb"
SHORT = RenderSettings(length=3, aspect="1:1")


def test_upload_render_wait_and_download_a_playable_video(login, tmp_path: Path) -> None:
    sent: list[tuple[int, int | None]] = []
    seen: list[tuple[str, int | None, float | None]] = []
    with Client(login.url, login.token) as client:
        upload = client.upload(BOX, SHORT, progress=lambda done, total: sent.append((done, total)))
        assert sent[-1] == (BOX.stat().st_size, BOX.stat().st_size)
        render = client.wait(
            upload.render_id,
            timeout=300,
            on_update=lambda r: seen.append((r.status, r.progress, r.eta)),
        )
        assert render.status == "done" and render.progress == 100 and render.eta == 0
        shares = [p for _, p, _ in seen if p is not None]
        assert shares == sorted(shares), f"progress only goes forward: {seen}"
        got: list[tuple[int, int | None]] = []
        video = client.download(
            render.id, "video", tmp_path, progress=lambda d, t: got.append((d, t))
        )
        poster = client.download(render.id, "poster", tmp_path)
    assert video.name == f"{render.id}.mp4" and got[-1] == (video.stat().st_size,) * 2
    assert video.stat().st_size == render.file_size
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = [f for f in container.decode(stream)]
    assert stream.codec_context.name == "h264"
    assert (frames[0].width, frames[0].height) == (960, 960), "share: 960 px on the long side"
    assert len(frames) >= 3 * 24, "3 s of video"
    assert poster.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.part*"))


def test_a_cut_download_resumes_where_it_stopped(login, tmp_path: Path) -> None:
    with Client(login.url, login.token) as client:
        render = client.wait(client.upload(BOX, SHORT).render_id, timeout=300)
        whole = client.download(render.id, "video", tmp_path / "whole.mp4")
        cut = tmp_path / "resumed"
        cut.mkdir()
        half = whole.stat().st_size // 2
        (cut / f"{render.id}.mp4.part").write_bytes(whole.read_bytes()[:half])
        reported: list[int] = []
        resumed = client.download(render.id, "video", cut, progress=lambda d, _: reported.append(d))
        assert resumed.read_bytes() == whole.read_bytes()
        assert reported[0] > half and reported[-1] == whole.stat().st_size, "only the rest came"
        assert not (cut / f"{render.id}.mp4.part").exists()
        # The bundle is a ZIP streamed as it is built, without Range: a part is started over
        # (its entries are stamped with the time it is built: compare what they hold).
        bundle = client.download(render.id, "bundle", tmp_path / "whole.zip")
        (cut / f"{render.id}.zip.part").write_bytes(b"stale bytes")
        again = client.download(render.id, "bundle", cut)
        assert _members(again) == _members(bundle)
        assert set(_members(bundle)) == {"video.mp4", "web.mp4", "poster.png", "thumb.mp4"}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_errors_carry_the_farm_code(login) -> None:
    with Client(login.url, login.token) as client:
        with pytest.raises(NotFound) as missing:
            client.get_render("nosuchrender")
        assert missing.value.code == "render_not_found"
        model_id = client.upload(BOX, SHORT).model_id
        with pytest.raises(InvalidRequest) as refused:
            client.render(model_id, {"length": 99})
        assert refused.value.code == "invalid_settings" and "length" in refused.value.message


def test_the_async_client_renders_and_tags(login, tmp_path: Path) -> None:
    async def main() -> tuple[str, list[str], int]:
        async with AsyncClient(login.url, login.token) as client:
            upload = await client.upload(DUCK, {"length": 3, "quality": "share"})
            await client.tag_model(upload.model_id, ["Toys", "duck"])
            render = await client.wait(upload.render_id, timeout=300)
            path = await client.download(render.id, "thumb", tmp_path)
            page = await client.models(tags=["toys"])
            return render.status, page.data[0].tags, path.stat().st_size

    status, tags, size = asyncio.run(main())
    assert status == "done" and tags == ["toys", "duck"] and size > 0


def test_cli_batch_from_a_csv_catalogue(login, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MESHFARM_URL", login.url)
    monkeypatch.setenv("MESHFARM_TOKEN", login.token)
    (tmp_path / "models").mkdir()
    for asset in (BOX, DUCK):
        (tmp_path / "models" / asset.name).write_bytes(asset.read_bytes())
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "file,sku,tags,aspect,bgColor,settings\n"
        'models/BoxTextured.glb,BOX-1,crate;wood,1:1,#ff8800,"{""length"": 3}"\n'
        'models/BoxTextured.glb,BOX-1,,9:16,,"{""length"": 3}"\n'
        'models/Duck.glb,DUCK-7,toys,16:9,,"{""length"": 3}"\n'
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(catalogue), "--download", str(out)])
    assert result.exit_code == 0, result.output
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) == 3
    sizes = set()
    for video in videos:
        with av.open(str(video)) as container:
            frame = next(container.decode(video=0))
            sizes.add((frame.width, frame.height))
    assert sizes == {(960, 960), (540, 960), (960, 540)}
    with Client(login.url, login.token) as client:
        models = {m.sku: m for m in client.models().data}
        assert set(models) == {"BOX-1", "DUCK-7"}
        assert models["BOX-1"].tags == ["crate", "wood"] and models["DUCK-7"].tags == ["toys"]
        box = client.model(models["BOX-1"].id)
        charged = [r for r in box.renders if not r.is_system_preview]
        assert len(charged) == 2, "one upload, its second row a render of the same model"
        assert {r.render_settings["bgColor"] for r in charged} == {"#ff8800", "#ffffff"}
    listed = CliRunner().invoke(app, ["models", "ls", "--tags", "toys"])
    assert listed.exit_code == 0 and "DUCK-7" in listed.output and "BOX-1" not in listed.output


def test_cli_batch_of_a_folder_renders_and_downloads_every_model(
    login, tmp_path: Path, monkeypatch
) -> None:
    """The new user's path: a folder of models, one command, the videos on disk."""
    monkeypatch.setenv("MESHFARM_URL", login.url)
    monkeypatch.setenv("MESHFARM_TOKEN", login.token)
    folder = tmp_path / "catalogue"
    folder.mkdir()
    for asset in (BOX, DUCK):
        (folder / asset.name).write_bytes(asset.read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["batch", str(folder), "--render", '{"length": 3, "aspect": "1:1"}', "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) == 2
    for video in videos:
        with av.open(str(video)) as container:
            frames = list(container.decode(video=0))
        assert (frames[0].width, frames[0].height) == (960, 960) and len(frames) >= 72
    with Client(login.url, login.token) as client:
        names = {m.original_name for m in client.models().data}
    assert {"BoxTextured.glb", "Duck.glb"} <= names


def test_ctrl_c_while_watching_leaves_the_renders_running(login) -> None:
    with Client(login.url, login.token) as client:
        model_id = client.upload(BOX, SHORT).model_id
        ids = [b.id for b in client.batch([(model_id, {"length": 6}), (model_id, {"length": 7})])]
    env = {**os.environ, **login.env, "COLUMNS": "120"}
    command = "from meshfarm_client.entry import main; main()"
    watcher = subprocess.Popen(
        [sys.executable, "-c", command, "client", "watch", *ids],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    assert watcher.poll() is None, watcher.communicate()
    watcher.send_signal(signal.SIGINT)
    _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 130, stderr
    assert "the renders go on on the farm" in stderr
    assert f"meshfarm client watch {' '.join(ids)}" in stderr
    assert "Traceback" not in stderr
    with Client(login.url, login.token) as client:
        after = [client.get_render(i) for i in ids]
        assert all(r.status not in ("error", "failed") for r in after), after
        assert client.wait(ids[0], timeout=300).status == "done"


def test_cli_upload_wait_status_download_and_models(login, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MESHFARM_URL", login.url)
    monkeypatch.setenv("MESHFARM_TOKEN", login.token)
    runner = CliRunner()
    up = runner.invoke(app, ["upload", str(DUCK), "--render", "length=3,aspect=9:16", "--wait"])
    assert up.exit_code == 0, up.output
    line = next(x for x in up.output.splitlines() if x.startswith("Duck.glb: model "))
    model_id, render_id = line.split()[2].rstrip(","), line.split()[4]
    status = runner.invoke(app, ["status", render_id])
    assert status.exit_code == 0 and "done" in status.output and "100%" in status.output
    got = runner.invoke(app, ["download", render_id, "--what", "poster", "-o", str(tmp_path)])
    assert got.exit_code == 0, got.output
    assert (tmp_path / f"{render_id}-poster.png").read_bytes()[:4] == b"\x89PNG"
    wrong = runner.invoke(app, ["download", render_id, "--what", "dataset", "-o", str(tmp_path)])
    assert wrong.exit_code == 1 and "has no dataset" in wrong.output
    quote = runner.invoke(app, ["quote", "quality=4k", '{"quality": "standard"}'])
    assert quote.exit_code == 0 and "20 credits required" in quote.output
    tagged = runner.invoke(app, ["models", "tag", model_id, "Bath", "toys"])
    assert tagged.exit_code == 0 and f"{model_id}: bath, toys" in tagged.output
    untagged = runner.invoke(app, ["models", "tag", model_id, "bath", "--remove"])
    assert f"{model_id}: toys" in untagged.output
    archived = runner.invoke(app, ["models", "archive", model_id])
    assert f"{model_id}: archived" in archived.output
    listed = runner.invoke(app, ["models", "ls", "--archived"])
    assert model_id in listed.output
    refused = runner.invoke(app, ["render", model_id, "--render", "quality=8k"])
    assert refused.exit_code == 1 and "invalid_settings" in refused.output

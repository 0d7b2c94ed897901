"""The ``meshfarm`` command: admin commands and the first start of ``serve``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from broker.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, db_url: str, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("MESHFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MESHFARM_DATABASE_URL", db_url)
    return {"MESHFARM_DATA_DIR": str(tmp_path / "data"), "MESHFARM_DATABASE_URL": db_url}


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_admin_commands(env):
    account_id = _run("admin", "create-account", "--email", "Ann@Example.com", "--credits", "5")
    assert re.fullmatch(r"[A-Za-z0-9]{12}", account_id)
    token = _run(
        "admin",
        "create-token",
        "--email",
        "ann@example.com",
        "--scopes",
        "account:read",
        "--expires-in-days",
        "7",
        "--name",
        "ci",
    )
    assert re.fullmatch(r"dxgl_sk_[A-Za-z0-9]{40}", token)
    assert _run("admin", "add-credits", "--email", "ann@example.com", "7") == "12"
    bad = runner.invoke(app, ["admin", "create-account", "--email", "ann@example.com"])
    assert bad.exit_code == 1 and "already exists" in bad.output
    bad = runner.invoke(app, ["admin", "create-token", "--email", "x@y.z"])
    assert bad.exit_code == 1
    bad = runner.invoke(
        app, ["admin", "create-token", "--email", "ann@example.com", "--scopes", "root"]
    )
    assert bad.exit_code == 1 and "unknown scope" in bad.output
    assert runner.invoke(app, ["admin", "suspend", "--email", "ann@example.com"]).exit_code == 0
    assert runner.invoke(app, ["admin", "revoke-token", token[:16]]).exit_code == 0
    assert runner.invoke(app, ["admin", "revoke-token", token[:16]]).exit_code == 1


def start_serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).parent / "meshfarm"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, port


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids still running (zombies of a dead parent count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


@pytest.mark.slow
def test_serve_first_start_prints_a_working_token_and_curl(env, tmp_path):
    proc, port = start_serve(env)
    workers: set[int] = set()
    try:
        assert proc.stdout is not None
        block = [proc.stdout.readline().strip() for _ in range(10)]  # the first-start banner
        token = next(line for line in block if line.startswith("dxgl_sk_"))
        curl = next(line for line in block if line.startswith("curl "))
        assert re.fullmatch(r"dxgl_sk_[A-Za-z0-9]{40}", token)
        assert curl.startswith("curl ") and token in curl and f":{port}/v1/account" in curl
        deadline = time.monotonic() + 30
        while True:
            try:
                res = httpx.get(
                    f"http://127.0.0.1:{port}/v1/account",
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert res.status_code == 200
        assert res.json()["data"]["credits"] == 1000 and res.json()["data"]["isAdmin"] is True
        workers = children(proc.pid)
        assert workers  # the local worker process
    finally:
        proc.terminate()
        proc.wait(20)
    assert proc.returncode in (0, -signal.SIGTERM)
    assert not wait_until_gone(workers, 10), "workers outlived the broker's shutdown"


@pytest.mark.slow
def test_workers_exit_when_serve_is_killed(env):
    proc, _ = start_serve(env)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        deadline = time.monotonic() + 30
        while not (workers := children(proc.pid)):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait(20)
    assert not wait_until_gone(workers, 10), "workers outlived a killed broker"


def test_render_command_writes_a_png(tmp_path):
    from PIL import Image

    from testdata import ASSETS

    out = tmp_path / "duck.png"
    result = runner.invoke(
        app,
        [
            "render",
            str(ASSETS / "Duck.glb"),
            "-o",
            str(out),
            "--settings",
            '{"bgColor": "#336699", "aspect": "1:1"}',
        ],
    )
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.size == (960, 960) and image.mode == "RGB"
    assert image.getpixel((0, 0)) == (0x33, 0x66, 0x99)
    bad = runner.invoke(
        app, ["render", str(ASSETS / "Duck.glb"), "-o", str(out), "--settings", '{"zoom": 9}']
    )
    assert bad.exit_code == 1 and "renderSettings.zoom" in bad.output
    bad = runner.invoke(app, ["render", str(ASSETS / "Duck.glb"), "-o", str(tmp_path / "x.gif")])
    assert bad.exit_code == 1 and ".png, .mp4 or .mov" in bad.output


def test_render_command_reports_a_bad_model_cleanly(tmp_path):
    from testdata import ASSETS

    result = runner.invoke(
        app,
        ["render", str(ASSETS / "bad" / "BoxWithInfinites.glb"), "-o", str(tmp_path / "x.png")],
    )
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_render_command_writes_an_mp4(tmp_path):
    import av

    from testdata import ASSETS

    out = tmp_path / "box.mp4"
    result = runner.invoke(
        app,
        ["render", str(ASSETS / "BoxTextured.glb"), "-o", str(out), "--settings", '{"length": 3}'],
    )
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 960, 540)
    assert frames == 90
    bad = runner.invoke(
        app, ["render", str(ASSETS / "BoxTextured.glb"), "-o", str(out), "--quality", "pro"]
    )
    assert bad.exit_code == 1 and ".mov" in bad.output

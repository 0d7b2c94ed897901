"""A newcomer's first ten minutes: the README's commands and files work as it says."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
RULE = "-" * 72


def test_the_quick_start_uses_only_files_the_repo_ships():
    files = re.findall(r"file=@([^\"'\s]+)", README)
    assert len(files) >= 2, files
    for name in files:
        assert (ROOT / name).is_file(), f"the README uploads {name}, which the repo lacks"
    overlay = next(n for n in files if n.endswith(".png"))
    with Image.open(ROOT / overlay) as image:  # an overlay image the API accepts
        assert image.format == "PNG" and max(image.size) <= 8192


def test_the_readme_says_where_the_command_is():
    assert ".venv/bin/meshfarm" in README and "source .venv/bin/activate" in README


def test_bench_scripts_find_shared_assets_beside_the_checkout():
    for script in sorted((ROOT / "bench").rglob("*.py")):
        if ".venv" in script.parts or "node_modules" in script.parts:
            continue
        assert '"/work/' not in script.read_text(), f"{script}: an absolute /work path"


def _make_dry_run(*args: str) -> str:
    """What make would run (-n), as if nothing were installed yet (-B)."""
    res = subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return res.stdout


def test_make_run_installs_only_the_runtime_and_takes_a_port():
    run = _make_dry_run("run", "PORT=9123")
    assert "pip install -q -e ." in run and "[dev]" not in run
    assert "glslang" not in run  # the shader tests' compiler is a dev tool
    assert re.search(r"meshfarm serve\s+--port 9123\s*$", run, re.M), run
    assert re.search(r"meshfarm serve\s*$", _make_dry_run("run"), re.M)
    test = _make_dry_run("test")
    assert "pip install -q -e '.[dev]'" in test and "glslang-tools" in test
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_interactive_docs_load_nothing_from_the_internet(client):
    page = client.get("/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    assert "openapi.json" in page.text
    for asset in assets:
        assert asset.startswith("/v1/"), f"/v1/docs loads {asset} from elsewhere"
        res = client.get(asset)
        assert res.status_code == 200 and len(res.content) > 1000, asset


# --- the first start of `meshfarm serve`, as `make run` does it ---------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Start ``meshfarm serve`` on a fresh data dir with only environment variables set;
    yields (port, the stdout lines up to the end of the first banner, the process)."""
    procs: list[subprocess.Popen[str]] = []

    def start(**env: str) -> tuple[int, list[str], subprocess.Popen[str]]:
        port = _free_port()
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "meshfarm"), "serve"],
            env={
                **os.environ,
                "MESHFARM_DATA_DIR": str(tmp_path / f"data-{port}"),
                "MESHFARM_PORT": str(port),
                "MESHFARM_WORKERS": "0",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        lines: list[str] = []
        while raw := proc.stdout.readline():
            lines.append(raw.rstrip("\n"))
            if lines.count(RULE) == 2:
                break
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        return port, lines, proc

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(20)


def _account(port: int, token: str) -> httpx.Response:
    return httpx.get(
        f"http://127.0.0.1:{port}/v1/account", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.slow
def test_first_start_prints_one_clean_block_and_serves_on_meshfarm_port(first_start):
    port, lines, _ = first_start(MESHFARM_HEADER_TIMEOUT_SECONDS="1")
    assert lines[0] == RULE and lines[-1] == RULE, lines
    (token,) = [line.strip() for line in lines if line.strip().startswith("dxgl_sk_")]
    assert re.fullmatch(r"dxgl_sk_[A-Za-z0-9]{40}", token)
    (curl,) = [line.strip() for line in lines if line.strip().startswith("curl ")]
    assert curl == f"curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/v1/account"
    assert not [line for line in lines if " INFO " in line or "HTTP/1.1" in line]
    assert _account(port, token).status_code == 200
    with socket.create_connection(("127.0.0.1", port)) as sock:  # serve closes slowloris
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert time.monotonic() - started < 3


@pytest.mark.slow
def test_the_first_token_can_go_to_a_private_file_instead(first_start, tmp_path):
    target = tmp_path / "secrets" / "admin-token"
    port, lines, _ = first_start(MESHFARM_BOOTSTRAP_TOKEN_FILE=str(target))
    assert not [line for line in lines if "dxgl_sk_" in line], lines
    assert any(str(target) in line for line in lines)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    token = target.read_text().strip()
    assert _account(port, token).status_code == 200

"""A 200 MB Refinery upload streams to disk: the broker's memory stays flat."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from typer.testing import CliRunner

from broker.cli import app

MB = 1024 * 1024


@pytest.mark.slow
def test_a_200mb_upload_keeps_broker_memory_flat(tmp_path: Path, db_url: str, monkeypatch):
    env = {
        **os.environ,
        "MESHFARM_DATA_DIR": str(tmp_path / "data"),
        "MESHFARM_DATABASE_URL": db_url,
        "MESHFARM_WORKERS": "0",
        "MESHFARM_CPU_WORKERS": "0",  # the file is only stored: nothing converts it
    }
    for name, value in env.items():
        if name.startswith("MESHFARM_"):
            monkeypatch.setenv(name, value)
    made = CliRunner().invoke(
        app, ["admin", "create-refinery-key", "--email", "a@example.com", "--tier", "enterprise"]
    )
    assert made.exit_code == 0, made.output
    headers = {"X-API-Key": made.stdout.strip()}
    big = tmp_path / "big.stl"
    with big.open("wb") as fh:
        fh.truncate(200 * MB)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).parent / "meshfarm"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/refinery/api/v1"
    try:
        deadline = time.monotonic() + 30
        while True:  # warm up: the first upload imports everything on its path
            try:
                warm = httpx.post(
                    f"{base}/convert", headers=headers, files={"file": ("s.stl", b"solid\n")}
                )
                assert warm.status_code == 200, warm.text
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        server = psutil.Process(proc.pid)
        baseline = peak = server.memory_info().rss
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, server.memory_info().rss)
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        with big.open("rb") as fh:
            res = httpx.post(
                f"{base}/convert", headers=headers, files={"file": ("big.stl", fh)}, timeout=300
            )
        took = time.monotonic() - started
        done.set()
        sampler.join()
        assert res.status_code == 200, res.text
        growth = (peak - baseline) / MB
        print(
            f"\n200 MB Refinery upload in {took:.1f} s: broker RSS {baseline / MB:.1f} MB -> "
            f"peak {peak / MB:.1f} MB (growth {growth:.1f} MB)"
        )
        assert growth < 50, f"broker grew by {growth:.1f} MB"
        status = httpx.get(f"{base}/status/{res.json()['job_id']}", headers=headers).json()
        assert status["status"] == "pending"
    finally:
        proc.terminate()
        proc.wait(20)

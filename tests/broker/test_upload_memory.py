"""A 100 MB upload streams to disk: the broker's memory must not grow by more than ~50 MB."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from bench.broker_load_bench import write_big_glb

MB = 1024 * 1024


@pytest.mark.slow
def test_100mb_upload_keeps_broker_memory_flat(tmp_path: Path, db_url: str):
    size = 100 * MB
    model = tmp_path / "big.glb"
    write_big_glb(model, size)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "MESHFARM_DATA_DIR": str(tmp_path / "data"),
        "MESHFARM_DATABASE_URL": db_url,
    }
    exe = Path(sys.executable).parent / "meshfarm"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        token = ""
        while not re.fullmatch(r"dxgl_sk_\w+", token):  # the first-start banner's token line
            line = proc.stdout.readline()
            assert line, "the broker exited before printing a token"
            token = line.strip()
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                # warm up: the first upload imports and initialises everything on the path
                small = (Path(__file__).parent.parent / "assets" / "Duck.glb").read_bytes()
                httpx.post(f"{base}/models", headers=headers, files={"file": ("d.glb", small)})
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        server = psutil.Process(proc.pid)
        baseline = server.memory_info().rss
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, server.memory_info().rss)
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        with model.open("rb") as fh:
            res = httpx.post(
                f"{base}/models", headers=headers, files={"file": ("big.glb", fh)}, timeout=300
            )
        done.set()
        sampler.join()
        assert res.status_code == 201, res.text
        growth = (peak - baseline) / MB
        print(
            f"\n100 MB upload: broker RSS {baseline / MB:.1f} MB -> peak {peak / MB:.1f} MB "
            f"(growth {growth:.1f} MB)"
        )
        assert growth < 50, f"broker grew by {growth:.1f} MB"
        too_big = tmp_path / "too_big.glb"
        write_big_glb(too_big, size + 1)
        with too_big.open("rb") as fh:
            res = httpx.post(
                f"{base}/models", headers=headers, files={"file": ("big.glb", fh)}, timeout=300
            )
        assert res.status_code == 400 and res.json()["error"]["code"] == "file_too_large"
    finally:
        proc.terminate()
        proc.wait(20)

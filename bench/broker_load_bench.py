"""Broker load benchmark: read throughput while a render runs, and a 100 MB upload's memory.

Starts the broker as a user does (``meshfarm serve``: the API, the dispatcher and one local
render worker) on 127.0.0.1, a free port, a temporary data dir and SQLite database, takes
the first-start admin token from its banner, uploads a model so that a render runs, and
then drives two reads with wrk (bounded: threads, connections and duration fixed):

- ``GET /v1/renders/<id>`` (a client polling its render);
- ``GET /v1/models`` (the first page of the account's models).

For each it prints requests/s, the p50 and p99 latency, the load average before and during
the run, and the render's status before and after (a share render is started anew when the
last one has ended, so that one is in progress while wrk runs). The issue's goal:
≥ 1,000 requests/s with p99 < 50 ms at 50 connections on 2 cores while one render runs.

Last, a ~100 MB valid GLB (tests/broker/test_upload_memory.py's) is uploaded and the serve
process's RSS (sampled every 10 ms) and VmHWM are printed before and after; then the server
and its workers are stopped.

    flock /tmp/bench.lock .venv/bin/python bench/broker_load_bench.py [MODEL.glb]
        [--duration 15] [--connections 50] [--threads 2] [--upload-mb 100] [--api-processes 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT.parent / "shared/assets/glb/DamagedHelmet.glb"
FALLBACK_MODEL = ROOT / "tests/assets/Duck.glb"
MB = 1024 * 1024
RUNNING = ("pending", "poster-processing", "poster-done", "video-processing")
GOAL_RPS = 1000.0
GOAL_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_big_glb(path: Path, size: int) -> None:
    """A valid GLB of exactly ``size`` bytes (tests/broker/test_upload_memory.py uses it
    too): one degenerate triangle list, its positions 16 bytes apart so that 100 MB stay under the
    8 M vertex limit."""

    def doc(vertices: int) -> bytes:
        raw = json.dumps(
            {
                "asset": {"version": "2.0"},
                "scene": 0,
                "scenes": [{"nodes": [0]}],
                "nodes": [{"mesh": 0}],
                "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
                "buffers": [{"byteLength": vertices * 16}],
                "bufferViews": [{"buffer": 0, "byteLength": vertices * 16, "byteStride": 16}],
                "accessors": [
                    {"bufferView": 0, "componentType": 5126, "count": vertices, "type": "VEC3"}
                ],
            }
        ).encode()
        return raw + b" " * (-len(raw) % 4)

    vertices = (size - 12 - 8 - len(doc(0)) - 8 - 16) // 48 * 3
    json_chunk = doc(vertices)
    bin_len = size - 12 - 8 - len(json_chunk) - 8
    with path.open("wb") as fh:
        fh.write(b"glTF" + struct.pack("<II", 2, size))
        fh.write(struct.pack("<II", len(json_chunk), 0x4E4F534A) + json_chunk)
        fh.write(struct.pack("<II", bin_len, 0x004E4942))
        fh.truncate(size)  # zero positions: finite, so the file is valid


class Broker:
    """``meshfarm serve`` in a subprocess (its own process group, so its workers stop too)."""

    def __init__(self, tmp: Path, port: int, env: dict[str, str] | None = None) -> None:
        """``env``: more variables for the server (``MESHFARM_API_PROCESSES``, say)."""
        self.base = f"http://127.0.0.1:{port}/v1"
        self.stdout_path = tmp / "serve.out"
        self.stderr_path = tmp / "serve.log"
        env = {
            **os.environ,
            "MESHFARM_DATA_DIR": str(tmp / "data"),
            "MESHFARM_DATABASE_URL": f"sqlite:///{tmp}/meshfarm.db",
            **(env or {}),
        }
        exe = Path(sys.executable).parent / "meshfarm"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tmp,  # no .env of the checkout's
                env=env,
                stdout=out,
                stderr=log,
                start_new_session=True,
            )
        self.ps = psutil.Process(self.proc.pid)

    def token(self, timeout: float = 60.0) -> str:
        """The first-start banner's token (``meshfarm serve`` prints it once, on stdout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"dxgl_sk_\w+", self.stdout_path.read_text(errors="replace"))
            if found:
                return found.group(0)
            if self.proc.poll() is not None:
                raise SystemExit(f"meshfarm serve exited:\n{self.stderr_path.read_text()}")
            time.sleep(0.1)
        raise SystemExit("meshfarm serve printed no token")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"meshfarm serve exited:\n{self.stderr_path.read_text()}")
            time.sleep(0.2)
        raise SystemExit("meshfarm serve did not answer /v1/health")

    def memory(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the serve process, in bytes."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
        return fields["VmRSS"], fields["VmHWM"]

    def children_rss(self) -> int:
        return sum(c.memory_info().rss for c in self.ps.children(recursive=True))

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down, the lifespan stops the dispatcher and its workers),
        then the whole group is killed if anything is left."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # orphaned workers, if any


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    non_2xx: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def parse_wrk(text: str) -> WrkResult:
    def latency(pct: str) -> float:
        found = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if not found:
            raise ValueError(f"no {pct}% latency in wrk's output:\n{text}")
        return _ms(found.group(1), found.group(2))

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors:.*", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{text}")
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(total.group(1)),
        errors=errors.group(0) if errors else "",
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=base, headers=self.headers, timeout=300)

    def status(self, render_id: str) -> str:
        res = self.http.get(f"/renders/{render_id}")
        res.raise_for_status()
        status: str = res.json()["data"]["status"]
        return status

    def upload(self, path: Path, settings: str | None = None) -> httpx.Response:
        data = {"renderSettings": settings} if settings else {}
        with path.open("rb") as fh:
            return self.http.post("/models", files={"file": (path.name, fh)}, data=data)

    def new_render(self, model_id: str) -> str:
        # 20 s of video (≈ 40 s of rendering here): it outlasts a wrk run
        res = self.http.post(
            "/renders", json={"modelId": model_id, "renderSettings": {"length": 20}}
        )
        res.raise_for_status()
        render_id: str = res.json()["data"]["id"]
        return render_id

    def running(self, model_id: str, current: str) -> tuple[str, str]:
        """A render of the model in progress: ``current`` while it is, else a new share
        render, waited for until the worker has taken it (a phase past ``pending``)."""
        status = self.status(current)
        if status not in RUNNING:
            current = self.new_render(model_id)
        deadline = time.monotonic() + 60
        while (status := self.status(current)) == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)
        return current, status


def wrk(url: str, token: str, args: argparse.Namespace) -> tuple[WrkResult, str]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=args.duration + 60
    ).stdout
    return parse_wrk(out), out


def load_test(
    client: Client, token: str, name: str, path: str, model_id: str, render_id: str, args: Any
) -> tuple[str, WrkResult]:
    render_id, before = client.running(model_id, render_id)
    path = path.format(render=render_id)
    load_before = os.getloadavg()[0]
    samples: list[float] = []
    stop = threading.Event()

    def sample_load() -> None:
        while not stop.wait(1.0):
            samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample_load, daemon=True)
    sampler.start()
    try:
        result, raw = wrk(client.base + path, token, args)
    finally:
        stop.set()
        sampler.join()
    after = client.status(render_id)
    load_during = max(samples) if samples else os.getloadavg()[0]
    ok = result.rps >= GOAL_RPS and result.p99_ms < GOAL_P99_MS
    print(f"\nGET {name}  (wrk -t{args.threads} -c{args.connections} -d{args.duration}s)")
    print(
        f"  {result.rps:,.0f} requests/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
        f"  ({result.requests} requests, non-2xx {result.non_2xx}"
        f"{', ' + result.errors if result.errors else ''})"
    )
    print(f"  load average (1 min): {load_before:.2f} before, {load_during:.2f} at most during")
    rendering = before in RUNNING and after in RUNNING
    print(
        f"  render {render_id}: {before} before, {after} after"
        f" -> {'a render ran throughout' if rendering else 'NOT rendering throughout'}"
    )
    print(
        f"  goal (>= {GOAL_RPS:,.0f} req/s, p99 < {GOAL_P99_MS:.0f} ms): "
        f"{'met' if ok and rendering else 'MISSED'}"
    )
    if args.verbose:
        print(raw)
    return render_id, result


def upload_memory(broker: Broker, client: Client, tmp: Path, size_mb: int) -> None:
    big = tmp / "big.glb"
    write_big_glb(big, size_mb * MB)
    rss0, hwm0 = broker.memory()
    peak = rss0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, broker.memory()[0])
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        res = client.upload(big)
    finally:
        done.set()
        sampler.join()
    took = time.monotonic() - started
    rss1, hwm1 = broker.memory()
    big.unlink()
    answer = (
        f"{res.status_code} {res.json().get('error', {}).get('code', '')}".strip()
        if res.status_code != 201
        else "201"
    )
    print(f"\n{size_mb} MB GLB upload (POST /v1/models): {answer} in {took:.1f} s")
    print(
        f"  serve process RSS {rss0 / MB:.1f} MB before, peak {peak / MB:.1f} MB (sampled), "
        f"{rss1 / MB:.1f} MB after; growth {(peak - rss0) / MB:.1f} MB"
    )
    print(f"  VmHWM {hwm0 / MB:.1f} MB before, {hwm1 / MB:.1f} MB after")
    print(f"  worker children RSS now {broker.children_rss() / MB:.1f} MB (not the upload path)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", type=Path)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--upload-mb", type=int, default=100, help="0: skip the upload test")
    parser.add_argument(
        "--api-processes", type=int, default=1, help="MESHFARM_API_PROCESSES of the server"
    )
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found (Debian: apt-get install wrk; `make install` has it)")
    model = args.model or (DEFAULT_MODEL if DEFAULT_MODEL.exists() else FALLBACK_MODEL)
    print(f"model: {model}; {os.cpu_count()} CPUs; {args.api_processes} API process(es)")
    with tempfile.TemporaryDirectory(prefix="meshfarm-load-") as name:
        tmp = Path(name)
        broker = Broker(tmp, free_port(), {"MESHFARM_API_PROCESSES": str(args.api_processes)})
        try:
            token = broker.token()
            broker.wait_ready()
            client = Client(broker.base, token)
            res = client.upload(model, '{"quality": "share"}')
            res.raise_for_status()
            upload = res.json()["data"]
            model_id = upload["modelId"]
            render_id = client.new_render(model_id)  # 20 s long: it lasts both wrk runs
            print(f"broker {broker.base} (pid {broker.proc.pid}); model {model_id}")
            render_id, _ = load_test(
                client, token, "/v1/renders/<id>", "/renders/{render}", model_id, render_id, args
            )
            load_test(client, token, "/v1/models", "/models", model_id, render_id, args)
            if args.upload_mb > 0 and args.api_processes == 1:
                upload_memory(broker, client, tmp, args.upload_mb)
            elif args.upload_mb > 0:
                print("\n(the upload's memory is measured with one API process: the serve process)")
        finally:
            broker.stop()
            time.sleep(1)  # the killed group's members are reaped by init
            left = [p for p in psutil.process_iter(["pid"]) if _in_group(p, broker.proc.pid)]
            print(f"\nstopped: serve exit code {broker.proc.returncode}, {len(left)} left over")


def _in_group(proc: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.Error):
        return False


if __name__ == "__main__":
    main()

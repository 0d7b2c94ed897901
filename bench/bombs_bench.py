"""Memory and CPU bombs against a real broker: every one should be a 4xx within 2 s.

Builds the hostile files of issue 10 (each ≤ 1 MB; the builders are in
``tests/hostile_models.py``), starts ``meshfarm serve`` with one local worker on a free
loopback port (SQLite and a local store in a temporary directory), uploads each file and
prints, per file: the HTTP status and error code, the seconds to the answer, the broker's
peak RSS growth during the request, the peak RSS growth of any worker or conversion
process (watched until the model's render settles when an upload was accepted), and the
slowest ``/v1/health`` answer meanwhile. Then four bomb uploads at once.

    .venv/bin/python bench/bombs_bench.py [--only NAME,...] [--window SECONDS]

Goal (issue 10): status 4xx, ≤ 2 s, broker growth ≤ 100 MB, worker growth ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile_models as hm  # noqa: E402

MB = 1024 * 1024


def _zip_case(entries: dict[str, bytes], encrypted: str | None = None) -> bytes:
    data = hm.zip_bytes(entries)
    return hm.encrypt_flag(data, encrypted) if encrypted else data


def _obj_with_texture(side: int) -> bytes:
    return hm.zip_bytes(
        {
            "scan.obj": b"mtllib scan.mtl\nusemtl m\n"
            + hm.OBJ_TRIANGLE
            + b"vt 0 0\nf 1/1 2/1 3/1\n",
            "scan.mtl": b"newmtl m\nmap_Kd tex.png\n",
            "tex.png": hm.png(side, side),
        }
    )


def _nan_translation() -> bytes:
    doc = hm.triangle_doc()
    doc["nodes"][0]["translation"] = [float("nan"), 0, 0]
    return hm.gltf_json(doc)


def _many_nodes(n: int) -> bytes:
    doc = hm.triangle_doc()
    doc["nodes"] = [{"mesh": 0}] + [{} for _ in range(n)]
    return hm.gltf_json(doc)


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "12 images -> one 8192² PNG": (
        "images.glb",
        lambda: hm.textured_glb(hm.png(8192, 8192), images=12),
    ),
    "zero-filled accessor 1.6 GB": ("zero.glb", lambda: hm.zero_accessor_glb(100_000_000)),
    "accessor count 2^31": (
        "count.glb",
        lambda: hm.zero_accessor_glb(2**31, attribute="TEXCOORD_0", kind="VEC2"),
    ),
    "sparse accessor 50 M": ("sparse.glb", lambda: hm.sparse_accessor_glb(50_000_000)),
    "5 M triangles (1000 instances)": ("inst.glb", lambda: hm.instanced_glb(1000, 5000)),
    "OBJ 4.2 M triangles": ("scan.zip", lambda: hm.obj_zip(4_200_000)),
    "OBJ naming a 9000² texture": ("tex.zip", lambda: _obj_with_texture(9000)),
    "ZIP: glTF + 500 MB of zeros": (
        "zeros.zip",
        lambda: hm.zeros_member_zip("model.gltf", hm.gltf_json(), 500 * MB),
    ),
    "30000² PNG texture": ("png30k.glb", lambda: hm.textured_glb(hm.png(30000, 30000, gray1=True))),
    "non-image texture bytes": ("junk.glb", lambda: hm.textured_glb(b"not an image " * 64)),
    "NaN node translation": ("nan.gltf", _nan_translation),
    "JSON nested 100 000 deep": ("deep.gltf", lambda: hm.deep_json(100_000)),
    "5000-digit integer": ("digits.gltf", lambda: hm.big_int_json(5000)),
    "5000 images": ("imgs.glb", lambda: hm.textured_glb(hm.png(1, 1), images=5000)),
    "200 000 nodes": ("nodes.gltf", lambda: _many_nodes(200_000)),
    'ZIP entry named ""': ("empty.zip", lambda: _zip_case({"": b"x", "m.obj": hm.OBJ_TRIANGLE})),
    'ZIP entry named "."': ("dot.zip", lambda: _zip_case({".": b"x", "m.obj": hm.OBJ_TRIANGLE})),
    "ZIP encrypted entry": (
        "enc.zip",
        lambda: _zip_case({"m.obj": hm.OBJ_TRIANGLE + b"f 1 2 3\n"}, encrypted="m.obj"),
    ),
    "ZIP file a + a/b.bin": (
        "clash.zip",
        lambda: _zip_case({"a": b"x", "a/b.bin": b"y", "m.obj": hm.OBJ_TRIANGLE + b"f 1 2 3\n"}),
    ),
}
CONCURRENT = "OBJ 4.2 M triangles"


@dataclass
class Row:
    name: str
    size: int
    status: int = 0
    code: str = ""
    seconds: float = 0.0
    broker_mb: float = 0.0
    worker_mb: float = 0.0
    health_s: float = 0.0
    render: str = ""
    notes: list[str] = field(default_factory=list)


class Watch:
    """Samples the broker's RSS, every child's RSS and /v1/health latency until stopped."""

    def __init__(self, broker: psutil.Process, base: str) -> None:
        self.broker = broker
        self.base = base
        self.broker_base = broker.memory_info().rss
        self.child_base = {c.pid: _rss(c) for c in broker.children(recursive=True)}
        self.broker_peak = self.broker_base
        self.child_growth = 0
        self.health = 0.0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._mem), threading.Thread(target=self._ping)]
        for t in self._threads:
            t.start()

    def _mem(self) -> None:
        children: list[psutil.Process] = []
        listed = 0.0
        while not self._stop.is_set():
            self.broker_peak = max(self.broker_peak, _rss(self.broker))
            if time.monotonic() - listed > 0.1:  # listing is costly; RSS reads are cheap
                with contextlib.suppress(psutil.Error):  # a child ended while listed
                    children = self.broker.children(recursive=True)
                listed = time.monotonic()
            for c in children:
                grown = _rss(c) - self.child_base.get(c.pid, 0)
                self.child_growth = max(self.child_growth, grown)
            time.sleep(0.01)

    def _ping(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                t0 = time.monotonic()
                with contextlib.suppress(httpx.HTTPError):
                    client.get(f"{self.base}/health")
                self.health = max(self.health, time.monotonic() - t0)
                time.sleep(0.1)

    def stop(self) -> tuple[float, float, float]:
        self._stop.set()
        for t in self._threads:
            t.join()
        return (self.broker_peak - self.broker_base) / MB, self.child_growth / MB, self.health


def _rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


def _upload(base: str, headers: dict[str, str], filename: str, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/models", headers=headers, files={"file": (filename, data)}, timeout=600
    )


def _settle(base: str, headers: dict[str, str], render_id: str, window: float) -> str:
    deadline = time.monotonic() + window
    status = "?"
    while time.monotonic() < deadline:
        res = httpx.get(f"{base}/renders/{render_id}", headers=headers, timeout=60)
        if res.status_code != 200:
            return f"GET /renders → {res.status_code} {res.text[:60]}"
        body = res.json()["data"]
        status = body["status"]
        if status in ("done", "error"):
            return status if status == "done" else f"error: {body.get('errorMessage', '')[:60]}"
        time.sleep(0.25)
    return f"{status} after {window:.0f} s"


def run_case(name: str, filename: str, data: bytes, ctx: dict[str, object], window: float) -> Row:
    base, headers, broker = ctx["base"], ctx["headers"], ctx["broker"]
    assert isinstance(base, str) and isinstance(headers, dict)
    assert isinstance(broker, psutil.Process)
    row = Row(name, len(data))
    watch = Watch(broker, base)
    t0 = time.monotonic()
    try:
        res = _upload(base, headers, filename, data)
        row.seconds = time.monotonic() - t0
        row.status = res.status_code
        body = (
            res.json() if res.headers.get("content-type", "").startswith("application/json") else {}
        )
        row.code = body.get("error", {}).get("code", "") if res.status_code >= 400 else ""
        if res.status_code >= 400:
            row.notes.append(body.get("error", {}).get("message", res.text[:80]))
        elif res.status_code < 300:
            row.render = _settle(base, headers, body["data"]["renderId"], window)
        time.sleep(0.3)  # let a short-lived child show up in the samples
    except httpx.HTTPError as exc:
        row.seconds = time.monotonic() - t0
        row.code = f"connection: {type(exc).__name__}"
    row.broker_mb, row.worker_mb, row.health_s = watch.stop()
    return row


def run_concurrent(filename: str, data: bytes, ctx: dict[str, object], n: int = 4) -> Row:
    base, headers, broker = ctx["base"], ctx["headers"], ctx["broker"]
    assert isinstance(base, str) and isinstance(headers, dict)
    assert isinstance(broker, psutil.Process)
    row = Row(f"{n} × {CONCURRENT} at once", len(data))
    watch = Watch(broker, base)
    t0 = time.monotonic()
    variants = [_with_zip_comment(data, f"copy {i}".encode()) for i in range(n)]  # no dedup
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda d: _upload(base, headers, filename, d), variants))
    row.seconds = time.monotonic() - t0
    row.status = max(r.status_code for r in results)
    row.code = ",".join(sorted({r.json().get("error", {}).get("code", "") for r in results}))
    time.sleep(0.3)
    row.broker_mb, row.worker_mb, row.health_s = watch.stop()
    return row


def _with_zip_comment(archive: bytes, comment: bytes) -> bytes:
    """The same ZIP with an archive comment (its end record's last field): a new SHA-256."""
    assert archive[-2:] == b"\0\0"
    return archive[:-2] + len(comment).to_bytes(2, "little") + comment


def start_broker(tmp: Path) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MESHFARM_DATA_DIR": str(tmp / "data"), "MESHFARM_WORKERS": "1"}
    env.pop("MESHFARM_DATABASE_URL", None)
    env.pop("MESHFARM_STORAGE_URL", None)
    exe = Path(sys.executable).parent / "meshfarm"
    log = tmp / "broker.log"  # a file, not a pipe: an unread pipe fills and blocks the broker
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port)], env=env, stdout=out, stderr=out, text=True
        )
    deadline = time.monotonic() + 60
    token = None
    while token is None:
        found = re.search(r"dxgl_sk_\w+", log.read_text())
        token = found.group(0) if found else None
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the broker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{port}/v1"
    duck = (ROOT / "tests" / "assets" / "Duck.glb").read_bytes()
    while True:
        try:  # the first upload imports and initialises everything on the path
            httpx.post(f"{base}/models", headers=headers, files={"file": ("d.glb", duck)})
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return proc, base, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated case names (substrings)")
    parser.add_argument("--window", type=float, default=60.0, help="how long to watch a render")
    parser.add_argument("--no-concurrent", action="store_true")
    parser.add_argument("--log", type=int, default=0, help="print the broker log's last N chars")
    args = parser.parse_args()
    wanted = [w.strip() for w in args.only.split(",")] if args.only else None
    cases = {k: v for k, v in CASES.items() if wanted is None or any(w in k for w in wanted)}
    print(f"building {len(cases)} files ...", file=sys.stderr, flush=True)
    built = {name: (fn, make()) for name, (fn, make) in cases.items()}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bombs-") as tmp:
        proc, base, headers = start_broker(Path(tmp))
        ctx: dict[str, object] = {
            "base": base,
            "headers": headers,
            "broker": psutil.Process(proc.pid),
        }
        try:
            for name, (filename, data) in built.items():
                print(f"  {name} ...", file=sys.stderr, flush=True)
                rows.append(run_case(name, filename, data, ctx, args.window))
            if not args.no_concurrent and CONCURRENT in built:
                print("  concurrent ...", file=sys.stderr, flush=True)
                filename, data = built[CONCURRENT]
                rows.append(run_concurrent(filename, data, ctx))
        finally:
            proc.terminate()
            proc.wait(30)
            if args.log:
                print((Path(tmp) / "broker.log").read_text()[-args.log :], file=sys.stderr)
    _print(rows)


def _print(rows: list[Row]) -> None:
    print(
        "| file | bytes | status | code | seconds | broker ΔRSS MB | worker ΔRSS MB "
        "| health max s | render | message |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |")
    ok = 0
    for r in rows:
        good = 400 <= r.status < 500 and r.seconds <= 2 and r.broker_mb <= 100
        good = good and r.worker_mb <= 300
        ok += good
        print(
            f"| {r.name} | {r.size:,} | {r.status} | {r.code} | {r.seconds:.2f} | "
            f"{r.broker_mb:.0f} | {r.worker_mb:.0f} | {r.health_s:.2f} | {r.render} | "
            f"{'; '.join(r.notes)[:90]} |"
        )
    print(f"\n{ok}/{len(rows)} meet the goal (4xx, ≤ 2 s, broker ≤ 100 MB, worker ≤ 300 MB)")


if __name__ == "__main__":
    main()

"""Thrixel downloads on a running farm: each format's first (converted inline) and cached
latency for three corpus models, beside the GLB download itself, and 20 concurrent inline
requests for one new conversion.

Starts ``meshfarm serve`` (one render worker, one CPU worker) on a free port with a
scratch data dir, uploads the models through dx.gl's API, makes them public (the ``public``
extension field) and times ``GET /thrixel/api/v1/{id}/download?format=…`` as a client
sees it. Goal: a cached download within 2× of downloading the GLB; the 20 concurrent
requests make exactly one conversion (counted in the farm's own database).

    .venv/bin/python bench/download_bench.py
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from bombs_bench import start_broker

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tests" / "assets"
MODELS = ("Duck.glb", "BoxTextured.glb", "CesiumMilkTruck.glb")
FORMATS = ("stl", "obj", "usdz", "fbx")
CONCURRENT = 20


def _publish(client: httpx.Client, base: str, name: str) -> str:
    data = (ASSETS / name).read_bytes()
    made = client.post(f"{base}/v1/models", files={"file": (name, data)})
    made.raise_for_status()
    model_id = str(made.json()["data"]["modelId"])
    client.patch(f"{base}/v1/models/{model_id}", json={"public": True}).raise_for_status()
    return model_id


def _get(url: str) -> tuple[float, int]:
    started = time.monotonic()
    answer = httpx.get(url, timeout=600)
    elapsed = time.monotonic() - started
    if answer.status_code != 200:
        raise SystemExit(f"{url}: {answer.status_code} {answer.text[:300]}")
    return elapsed, len(answer.content)


def _median_ms(url: str, runs: int) -> float:
    return statistics.median(_get(url)[0] for _ in range(runs)) * 1000


def _conversions(data_dir: Path, target: str) -> int:
    with sqlite3.connect(f"file:{data_dir / 'meshfarm.db'}?mode=ro", uri=True) as db:
        (count,) = db.execute("SELECT count(*) FROM conversions WHERE target = ?", (target,))
        return int(count[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cached downloads timed per cell")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        proc, v1, headers = start_broker(tmp)
        base = v1.removesuffix("/v1")
        try:
            with httpx.Client(headers=headers, timeout=600) as client:
                ids = {name: _publish(client, base, name) for name in MODELS}
                fox = _publish(client, base, "Fox.glb")
            rows = []
            for name, model_id in ids.items():
                url = f"{base}/thrixel/api/v1/{model_id}/download?format="
                glb_ms = _median_ms(url + "glb", args.runs)
                for fmt in FORMATS:
                    cold, size = _get(url + fmt)
                    cached_ms = _median_ms(url + fmt, args.runs)
                    rows.append((name, fmt, cold * 1000, cached_ms, glb_ms, size))
            print("| model | format | first (converted) ms | cached ms | GLB ms | cached/GLB |")
            print("| --- | --- | ---: | ---: | ---: | ---: |")
            for name, fmt, cold_ms, cached_ms, glb_ms, _ in rows:
                print(
                    f"| {name} | {fmt} | {cold_ms:.0f} | {cached_ms:.1f} | {glb_ms:.1f} "
                    f"| {cached_ms / glb_ms:.2f}× |"
                )
            worst = max(cached / glb for _, _, _, cached, glb, _ in rows)
            verdict = "meets" if worst <= 2 else "misses"
            print(f"\nworst cached/GLB ratio {worst:.2f}× ({verdict} the 2× goal)")
            before = _conversions(tmp / "data", "stl")
            url = f"{base}/thrixel/api/v1/{fox}/download?format=stl"
            with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
                sizes = {size for _, size in pool.map(lambda _: _get(url), range(CONCURRENT))}
            made = _conversions(tmp / "data", "stl") - before
            print(
                f"{CONCURRENT} concurrent inline requests for Fox.glb as STL: "
                f"{made} conversion(s), {len(sizes)} distinct answer(s)"
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()

"""Simulation-ready builds model by model, against CoACD's own defaults and the old
one-hull-per-mesh collider, and the Duck through the whole farm.

For every model of the corpus that reads cleanly (tests/assets' top-level .glb, .stl, .zip
and .usdz, then the good files of ../shared/assets not already among them, when that
folder is there): :func:`physics.build.build_simready` as a SimReady job runs it (the
heuristic material, CoACD's ``fast`` preset within the 60 s budget, NVIDIA's validator
with the Robotics-Prop profile), then the drop scene of :func:`physics.simulate.simulate`
on the MJCF package. Printed: the decomposition's time, hull count, vertices per hull and
volume coverage, whether the convex-hull fallback stood in, the validator's verdict and
time, MuJoCo's compile time, the drop's wall time and verdict, and the build's total.

The peers, on the same mesh (read, repaired, in the SimReady frame, merged): CoACD with
its own defaults (no keyword given to ``run_coacd``) within ``--peer-budget`` seconds, for
the ``--peer`` models (the quick three unless told), and health.report.collision's
``convex_hulls`` (one hull per drawn mesh, what meshfarm made before) for every model.

The goal (Duck.glb upload → SimReady USD + MJCF + drop video ≤ 40 s on 2 cores, the
validator passing) is measured through a farm on a real uvicorn server (SQLite, local
store, one CPU and one render worker): POST /rigyd/api/conversions, poll until completed,
POST …/simulate {"scene": "drop"}, poll until completed; each leg's wall time is printed.

    .venv/bin/python bench/simready_bench.py --out /tmp/simready-bench.md
    .venv/bin/python bench/simready_bench.py --quick
    .venv/bin/python bench/simready_bench.py --models Duck,bunny --peer Duck --no-farm
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import requests
import trimesh
import uvicorn
from rich.console import Console
from rich.table import Table

from exchange.asset import read_asset
from exchange.limits import AssetLimits
from health.report import repair
from health.report.collision import convex_hulls, hull_primitive
from physics.build import BuildOptions, build_simready
from physics.collision import DEGENERATE_VOLUME, coacd_parts, convex_parts, figures
from physics.frame import merged, simready_frame
from physics.materials import HeuristicProvider
from physics.model import Hull
from physics.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
TEST_ASSETS = ROOT / "tests" / "assets"
CORPUS = ROOT.parent / "shared" / "assets"  # the shared corpus beside the checkout
SKIPPED_FOLDERS = ("bad", "environments")
TEST_SUFFIXES = (".glb", ".stl", ".zip", ".usdz")
QUICK = ("Duck.glb", "teapot_binary.stl", "fuze.zip")
GOAL_S = 40.0
DUCK = TEST_ASSETS / "Duck.glb"
EMAIL = "bench@example.com"
console = Console(width=200)


@dataclass
class Row:
    """One model's figures; ``error`` set when the build or the drop failed."""

    model: str
    triangles: int = 0
    decompose_s: float = 0.0
    hulls: int = 0
    vertices: str = ""
    coverage: float = 0.0
    fallback: str = ""
    validator: str = ""
    validator_s: float = 0.0
    compile_s: float = 0.0
    build_s: float = 0.0
    drop_s: float = 0.0
    drop: str = ""
    settled: bool = False
    error: str = ""
    peers: dict[str, str] = field(default_factory=dict)


def corpus(only: list[str], quick: bool) -> tuple[list[Path], list[str]]:
    """The models to run and the ones skipped (unreadable, or a copy of one already in)."""
    tests = sorted(p for p in TEST_ASSETS.iterdir() if p.suffix.lower() in TEST_SUFFIXES)
    shared: list[Path] = []
    if CORPUS.is_dir() and not quick:
        shared = sorted(
            p
            for p in CORPUS.rglob("*")
            if p.is_file()
            and p.relative_to(CORPUS).parts[0] not in SKIPPED_FOLDERS
            and p.suffix.lower() not in (".md", "")
            and p.name != "SHA256SUMS"
        )
    if quick:
        tests = [p for p in tests if p.name in QUICK]
    if only:
        tests, shared = (
            [p for p in ps if any(o in str(p) for o in only)] for ps in (tests, shared)
        )
    seen: set[str] = set()
    models: list[Path] = []
    skipped: list[str] = []
    for path in tests + shared:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        try:
            read_asset(path, AssetLimits())
        except Exception as exc:
            skipped.append(f"{label(path)}: {type(exc).__name__}: {exc}")
            continue
        models.append(path)
    return models, skipped


def label(path: Path) -> str:
    for base in (TEST_ASSETS, CORPUS):
        if path.is_relative_to(base):
            return f"{base.parent.name}/{path.relative_to(base)}"
    return str(path)


def bench_model(path: Path, coacd_defaults: bool, budget_s: float) -> Row:
    with tempfile.TemporaryDirectory(prefix="simready-bench-") as tmp:
        row = build_and_drop(path, Path(tmp))
    if row.hulls:
        peers(path, row, coacd_defaults, budget_s)
    return row


def build_and_drop(path: Path, tmp: Path) -> Row:
    row = Row(label(path))
    name = "".join(c if c.isalnum() else "_" for c in path.stem) or "model"
    options = BuildOptions(
        name=name,
        material_provider=HeuristicProvider(),
        is_glb=path.suffix.lower() == ".glb",
        source_name=path.name,
    )
    started = time.monotonic()
    try:
        built = build_simready(path, tmp / "build", options, limits=AssetLimits())
    except Exception as exc:
        row.error = f"build: {type(exc).__name__}: {exc}"
        return row
    row.build_s = time.monotonic() - started
    report = built.report
    collision = report["collision"]
    row.triangles = collision["triangles_in"]
    row.decompose_s = collision["seconds"]
    row.hulls = collision["hull_count"]
    per = collision["vertices_per_hull"]
    row.vertices = f"{per['min']}–{per['max']} (≈{per['mean']:.0f})"
    row.coverage = collision["volume_coverage"]
    row.fallback = collision["fallback_reason"] or "no"
    verdict = report["validation"]["simready"]
    row.validator_s = verdict["seconds"]
    failed = sorted({".".join(f["requirement"].split(".")[-2:]) for f in verdict["failures"]})
    row.validator = "pass" if verdict["passed"] else "FAIL " + ", ".join(failed)
    row.compile_s = report["validation"]["mjcf"]["compile_seconds"]
    (xml,) = built.mjcf_dir.glob("*.xml")
    try:
        sim = simulate(xml, "drop", tmp / "drop")
    except Exception as exc:
        row.error = f"drop: {type(exc).__name__}: {exc}"
        return row
    v = sim.verdict
    row.drop_s = sim.wall_seconds
    row.settled = v.settled
    row.drop = (
        f"{'settled' if v.settled else 'NOT settled'}, {'finite' if v.finite else 'NOT finite'}"
        f"{', ESCAPED' if v.escaped else ''}, {v.rest_pose}, "
        f"height err {v.rest_height_error * 1000:+.1f} mm, "
        f"penetration {v.worst_penetration * 1000:.1f} mm"
        f"{'' if v.on_ground else ', NOT on the floor'}"
        + "".join(f"; {problem}" for problem in v.problems)
    )
    return row


def peers(path: Path, row: Row, coacd_defaults: bool, budget_s: float) -> None:
    """The old one-hull-per-mesh collider and, if asked, CoACD's defaults, on the mesh the
    build decomposed (the same read, repair, frame and merge; welded as decompose does)."""
    asset = simready_frame(repair(read_asset(path, AssetLimits()))[0])
    mesh = merged(asset)
    started = time.monotonic()
    old = convex_hulls(asset)
    seconds = time.monotonic() - started
    hulls = [Hull(h.primitive.positions.astype(np.float64), h.primitive.indices) for h in old.hulls]
    fig = figures(mesh, hulls, 0)
    missing = f", {len(old.failed)} meshes without" if old.failed else ""
    row.peers["per mesh"] = f"{fig.hull_count} / {fig.volume_ratio:.2f} / {seconds:.2f} s{missing}"
    if not coacd_defaults:
        return
    points = mesh.vertices.astype(np.float64)
    if hull_primitive(points) is None:
        row.peers["CoACD defaults"] = "flat mesh: not given to CoACD"
        return
    welded = trimesh.Trimesh(points, mesh.faces, process=False)
    welded.merge_vertices()
    started = time.monotonic()
    parts, failure = coacd_parts(welded.vertices, welded.faces, {}, budget_s)
    seconds = time.monotonic() - started
    if failure is not None:
        timed_out = "longer than" in failure
        row.peers["CoACD defaults"] = f"TIMED OUT (> {budget_s:g} s)" if timed_out else failure
        return
    diagonal = float(np.linalg.norm(np.ptp(points, axis=0)))
    kept, removed = convex_parts(parts, DEGENERATE_VOLUME * diagonal**3)
    fig = figures(mesh, kept, removed)
    row.peers["CoACD defaults"] = f"{fig.hull_count} / {fig.volume_ratio:.2f} / {seconds:.1f} s"


@contextmanager
def farm(tmp: Path) -> Iterator[tuple[str, str]]:
    """A farm as `make run` starts it, on a free loopback port: its base URL and a key."""
    from broker.app import create_app
    from broker.context import AppContext
    from broker.db.engine import transaction
    from broker.db.migrate import upgrade
    from broker.dialects.rigyd.keys import issue_key
    from broker.dispatcher import Dispatcher
    from broker.jobs import billing
    from broker.services import accounts
    from workers.config import Settings
    from workers.local_executor import LocalExecutor

    url = f"sqlite:///{tmp / 'farm.db'}"
    upgrade(url)
    settings = Settings(data_dir=tmp / "data", database_url=url, _env_file=None)
    ctx = AppContext.from_settings(settings)
    with transaction(ctx.sessions) as session:
        key = issue_key(session, EMAIL, test=False)
    with transaction(ctx.sessions) as session:
        billing.grant(session, accounts.find_account(session, EMAIL).id, 10, "grant", "bench")
    app = create_app(ctx)
    app.state.dispatcher = Dispatcher(ctx, LocalExecutor(settings, 1, cpu_workers=1))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/rigyd/api", key
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        ctx.close()


def completed(base: str, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        data: dict[str, Any] = requests.get(
            f"{base}/conversions/{job_id}", headers=headers, timeout=30
        ).json()["data"]
        if data["status"] == "completed":
            return data
        if data["status"] == "failed":
            raise SystemExit(f"job {job_id} failed: {data.get('error')}")
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} did not complete in 600 s")


def end_to_end(model: Path, warm_s: float) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="simready-farm-") as tmp,
        farm(Path(tmp)) as (base, key),
    ):
        time.sleep(warm_s)  # a running farm's workers are up: let them start
        headers = {"Authorization": f"Bearer {key}"}
        started = time.monotonic()
        with model.open("rb") as f:
            res = requests.post(
                f"{base}/conversions",
                headers=headers,
                files={"file": (model.name, f, "model/gltf-binary")},
                timeout=60,
            )
        res.raise_for_status()
        uploaded = time.monotonic()
        job = completed(base, headers, res.json()["data"]["id"])
        built = time.monotonic()
        res = requests.post(
            f"{base}/conversions/{job['id']}/simulate",
            headers=headers,
            json={"scene": "drop"},
            timeout=60,
        )
        res.raise_for_status()
        sim = completed(base, headers, res.json()["data"]["id"])
        done = time.monotonic()
    report, verdict = job["report"], sim["report"]["verdict"]
    passed = report["validation"]["simready"]["passed"]
    total = done - started
    ok = total <= GOAL_S and passed and verdict["settled"]
    table = Table(title=f"{model.name} through the farm (workers warmed {warm_s:g} s)")
    for column in ("leg", "wall s"):
        table.add_column(column, justify="right" if column == "wall s" else "left")
    table.add_row("upload (POST /conversions → 202)", f"{uploaded - started:.2f}")
    table.add_row("build (→ completed: USD + MJCF + validator)", f"{built - uploaded:.2f}")
    table.add_row("drop simulation (POST …/simulate → completed)", f"{done - built:.2f}")
    table.add_row("total", f"{total:.2f}")
    console.print(table)
    console.print(f"worker stage timings: {report['timings']}")
    console.print(
        f"validator {'passed' if passed else 'FAILED'}, drop settled {verdict['settled']}, "
        f"{report['collision']['hull_count']} hulls; goal ≤ {GOAL_S:g} s: "
        f"{'PASS' if ok else 'FAIL'} ({total:.1f} s)"
    )


COLUMNS = (
    "model",
    "tris",
    "decomp s",
    "hulls",
    "verts/hull",
    "cover",
    "fallback",
    "validator",
    "val s",
    "mjcf s",
    "drop s",
    "drop verdict",
    "build s",
)


def cells(row: Row) -> list[str]:
    if row.error and not row.hulls:
        return [row.model, *["—"] * (len(COLUMNS) - 2), row.error]
    drop = row.error or row.drop
    return [
        row.model,
        str(row.triangles),
        f"{row.decompose_s:.1f}",
        str(row.hulls),
        row.vertices,
        f"{row.coverage:.2f}",
        row.fallback,
        row.validator,
        f"{row.validator_s:.1f}",
        f"{row.compile_s:.2f}",
        f"{row.drop_s:.1f}",
        drop,
        f"{row.build_s:.1f}",
    ]


def markdown(rows: list[Row], peer_names: list[str]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    lines += [
        "",
        "Colliders side by side, each cell hulls / volume coverage / seconds:",
        "",
        "| model | fast preset | " + " | ".join(peer_names) + " |",
        "|" + " --- |" * (2 + len(peer_names)),
    ]
    for r in rows:
        if r.hulls:
            fast = f"{r.hulls} / {r.coverage:.2f} / {r.decompose_s:.1f} s"
            peer = [r.peers.get(p, "—") for p in peer_names]
            lines.append("| " + " | ".join([r.model, fast, *peer]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--models", default="", help="comma-separated parts of model paths")
    parser.add_argument("--peer", default=",".join(QUICK), help="models CoACD's defaults run on")
    parser.add_argument("--peer-budget", type=float, default=120.0)
    parser.add_argument("--no-farm", action="store_true", help="skip the Duck end to end")
    parser.add_argument("--farm-only", action="store_true", help="only the Duck end to end")
    parser.add_argument("--warm", type=float, default=10.0, help="seconds the farm warms up")
    parser.add_argument("--out", type=Path, help="also write the tables as Markdown")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        console.print(f"[yellow]{CORPUS} is absent: tests/assets only[/]")
    if not args.no_farm:
        end_to_end(DUCK, args.warm)
    if args.farm_only:
        return
    only = [m for m in args.models.split(",") if m]
    models, skipped = corpus(only, args.quick)
    peer_on = [p for p in args.peer.split(",") if p]
    rows: list[Row] = []
    for path in models:
        peer = any(p in str(path) for p in peer_on)
        # A process per model: once MuJoCo's EGL renderer has run in a process, meshfarm's
        # renderer can no longer create a texture there (the next thumbnail fails).
        with ProcessPoolExecutor(1, get_context("spawn"), max_tasks_per_child=1) as pool:
            row = pool.submit(bench_model, path, peer, args.peer_budget).result()
        console.print(f"{row.model}: " + " | ".join(cells(row)[1:]) + f" | {row.peers}")
        rows.append(row)
    table = Table(title="SimReady builds (fast preset) and drops")
    for column in COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)
    text = markdown(rows, ["per mesh", "CoACD defaults"])
    text += "".join(f"\n- skipped (does not read): {line}" for line in skipped)
    console.print(text, markup=False)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()

"""Render fidelity: meshfarm (and model-viewer) against a path tracer, Khronos' way.

    make bench-fidelity                     # once: the reference environment (see Makefile)
    .venv/bin/python bench/fidelity.py [--models Duck Fox …] [--hdr chinese_garden_1k]
        [--size 256] [--samples 128] [--no-model-viewer] [--meshfarm CMD]
    .venv/bin/python bench/fidelity.py --check-orientation   # which way peers turn the HDR

Every model (``fidelity/scenarios.py``: Khronos samples with the generator's own cameras)
becomes one glTF-Render-Fidelity scenario — the same HDR, orbit camera, field of view
and ACES tone mapping for every peer — and is rendered in the same run by:

- **Blender Cycles** (the reference; ``fidelity/cycles_backend.py`` in bench/.venv-bpy):
  linear light, tone-mapped here with the very curve the real-time peers use; cached by
  the hash of everything that decides its pixels (bench/.fidelity-cache), so a rerun
  costs only meshfarm;
- **meshfarm** through ``meshfarm render-scenario '<json>'``, the generator's CLI-backend
  contract (``--meshfarm`` replaces the command);
- **model-viewer** 4.4 in headless Chromium (``fidelity/model_viewer.py``), as a
  production web renderer to hold meshfarm against (cached the same way).

Per model and peer it prints the generator's score against Cycles (pixelmatch YIQ, over
white, over the peer's pixels: dB, lower is closer), the silhouette IoU and the mean
FLIP, then the medians and the goal (meshfarm's median ≤ model-viewer's + 2 dB, IoU ≥
0.98 everywhere). Images land in bench/out/fidelity/<hdr>/: per model the three renders
and ``side.png`` (Cycles | meshfarm | model-viewer over white, their δ maps beneath).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fidelity import metric, scenarios, tonemap
from fidelity.plain_glb import plain_copy
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "fidelity"
REF_PYTHON = ROOT / "bench" / ".venv-bpy" / "bin" / "python"
CACHE = ROOT / "bench" / ".fidelity-cache"
OUT = ROOT / "bench" / "out" / "fidelity"
ENVIRONMENTS = ROOT.parent / "shared" / "assets" / "environments"
DEFAULT_MESHFARM = f"{ROOT / '.venv' / 'bin' / 'meshfarm'} render-scenario"
CYCLES_TIMEOUT_S = 1800
PEER_TIMEOUT_S = 600
GOAL_MARGIN_DB, GOAL_IOU = 2.0, 0.98


@dataclass
class Row:
    """One model's renders and scores (``None``: that peer did not render it)."""

    model: str
    cycles_s: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    db: dict[str, float] = field(default_factory=dict)
    iou: dict[str, float] = field(default_factory=dict)
    flip: dict[str, float | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_digest(path: Path) -> str:
    """A .glb's hash, or a .gltf's with every file beside it (its buffers, textures)."""
    if path.suffix.lower() == ".glb":
        return sha256_file(path)
    h = hashlib.sha256()
    for p in sorted(q for q in path.parent.rglob("*") if q.is_file()):
        h.update(p.relative_to(path.parent).as_posix().encode() + sha256_file(p).encode())
    return h.hexdigest()


def config_for(scenario: dict, output: Path) -> dict:
    return {"scenario": scenario, "outputFile": str(output)}


def cache_key(scenario: dict, backend: Path, extra: object) -> str:
    """Everything that decides a reference's pixels: the files' contents, not their names."""
    parts = {
        "scenario": {k: v for k, v in scenario.items() if k not in ("model", "lighting", "name")},
        "model": model_digest(Path(scenario["model"])),
        "hdr": sha256_file(Path(scenario["lighting"])),
        "backend": sha256_file(backend),
        "extra": extra,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def cycles_reference(
    scenario: dict, reference_model: Path, options: dict, rebuild: bool
) -> tuple[np.ndarray, float | None]:
    """Cycles' linear premultiplied RGBA for ``scenario`` (from the cache when it can)."""
    sc = {**scenario, "model": str(reference_model)}
    cached = CACHE / "cycles" / f"{cache_key(sc, HERE / 'cycles_backend.py', options)}.npy"
    if cached.exists() and not rebuild:
        return np.load(cached), None
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial.npy")
    png = cached.with_suffix(".png")
    config = {**config_for(sc, png), "cycles": {**options, "linearOutput": str(partial)}}
    started = time.monotonic()
    proc = subprocess.run(
        [str(REF_PYTHON), str(HERE / "cycles_backend.py"), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=CYCLES_TIMEOUT_S,
    )
    if proc.returncode != 0 or not partial.exists():
        raise RuntimeError(f"Cycles failed: {_tail(proc.stderr + proc.stdout)}")
    partial.rename(cached)
    return np.load(cached), time.monotonic() - started


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-lines:])


def run_cli_peer(command: str, scenario: dict, output: Path) -> float:
    """A generator-style CLI backend: the scenario JSON is its last argument."""
    output.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run(
        [*shlex.split(command), json.dumps(config_for(scenario, output))],
        capture_output=True,
        text=True,
        timeout=PEER_TIMEOUT_S,
    )
    if proc.returncode != 0 or not output.exists():
        raise RuntimeError(_tail(proc.stderr + proc.stdout) or f"exit {proc.returncode}")
    return time.monotonic() - started


def cached_model_viewer(jobs: list[tuple[dict, Path]], rebuild: bool) -> list[dict]:
    """model-viewer's renders, each cached like Cycles' (keyed also on its bundle)."""
    bundle = HERE.parent / ".model-viewer/node_modules/@google/model-viewer/package.json"
    version = json.loads(bundle.read_text())["version"] if bundle.exists() else None
    keys = [cache_key(sc, HERE / "model_viewer.py", version) for sc, _ in jobs]
    paths = [CACHE / "model-viewer" / f"{key}.png" for key in keys]
    todo = [i for i, p in enumerate(paths) if rebuild or not p.exists()]
    results: list[dict] = [{"seconds": None} for _ in jobs]
    rendered = run_model_viewer([(jobs[i][0], paths[i]) for i in todo])
    for i, result in zip(todo, rendered, strict=True):
        results[i] = result
    for (_, out), path, result in zip(jobs, paths, results, strict=True):
        if "error" not in result:
            shutil.copyfile(path, out)
    return results


def run_model_viewer(jobs: list[tuple[dict, Path]]) -> list[dict]:
    """All scenarios in one browser session; one result dict per job."""
    if not jobs:
        return []
    for _, out in jobs:
        out.parent.mkdir(parents=True, exist_ok=True)
    configs = [config_for(s, out) for s, out in jobs]
    proc = subprocess.run(
        [str(REF_PYTHON), str(HERE / "model_viewer.py"), json.dumps(configs)],
        capture_output=True,
        text=True,
        timeout=PEER_TIMEOUT_S * max(1, len(jobs)),
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(lines) != len(jobs):
        reason = _tail(proc.stderr + proc.stdout) or f"exit {proc.returncode}"
        return [{"error": reason}] * len(jobs)
    return [json.loads(line) for line in lines]


def load_rgba(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


def flip_means(pairs: list[tuple[Path, Path]]) -> list[float | None]:
    """Mean FLIP per (candidate, golden) pair, computed where ``flip_evaluator`` lives."""
    if not pairs:
        return []
    try:
        import flip_evaluator  # noqa: F401
    except ImportError:
        if not REF_PYTHON.exists():
            return [None] * len(pairs)
        args = [str(p) for pair in pairs for p in pair]
        proc = subprocess.run(
            [str(REF_PYTHON), str(HERE / "metric.py"), *args], capture_output=True, text=True
        )
        if proc.returncode != 0:
            print(f"FLIP failed: {_tail(proc.stderr)}", file=sys.stderr)
            return [None] * len(pairs)
        return list(json.loads(proc.stdout.strip().splitlines()[-1]))
    return [metric.flip_mean(load_rgba(c), load_rgba(g)) for c, g in pairs]


def delta_image(candidate: np.ndarray, golden: np.ndarray) -> np.ndarray:
    """The generator's delta visual: white where equal, red as δ grows (δ/max scaled)."""
    d = metric.yiq_delta(candidate, golden)
    d[candidate[..., 3] == 0] = 0.0
    peak = max(float(d.max()), 1e-9)
    g = np.round(255 * (1 - d / peak)).astype(np.uint8)
    return np.dstack([np.full_like(g, 255), g, g, np.full_like(g, 255)])


def side_by_side(folder: Path, golden: np.ndarray, peers: dict[str, np.ndarray]) -> None:
    def over_white(rgba: np.ndarray) -> np.ndarray:
        rgb = np.round(metric.over_white_unit(rgba) * 255).astype(np.uint8)
        return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])

    blank = np.full_like(golden, 255)
    top = [over_white(golden)] + [over_white(p) for p in peers.values()]
    bottom = [blank] + [delta_image(p, golden) for p in peers.values()]
    grid = np.concatenate([np.concatenate(top, axis=1), np.concatenate(bottom, axis=1)], axis=0)
    Image.fromarray(grid).save(folder / "side.png")


def evaluate(row: Row, folder: Path, golden: np.ndarray, peers: list[str]) -> None:
    rendered = {}
    for peer in peers:
        path = folder / f"{peer}.png"
        if peer in row.errors or not path.exists():
            continue
        img = load_rgba(path)
        if img.shape != golden.shape:
            row.errors[peer] = f"size {img.shape[1]}x{img.shape[0]}, expected {golden.shape[1]}"
            continue
        rendered[peer] = img
        row.db[peer] = metric.fidelity_db(img, golden)
        row.iou[peer] = metric.silhouette_iou(img, golden)
    side_by_side(folder, golden, rendered)


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None or not np.isfinite(value) else format(value, spec)


def print_table(rows: list[Row], peers: list[str]) -> dict[str, float]:
    head = (
        f"{'model':22}"
        + "".join(f" | {p[:11]:>11} dB   IoU   FLIP   s" for p in peers)
        + " | cycles s"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = []
        for p in peers:
            if p in r.errors:
                cells.append(f" | {'failed: ' + r.errors[p][:22]:>32}")
                continue
            cells.append(
                f" | {fmt(r.db.get(p), '7.2f'):>14} {fmt(r.iou.get(p), '.3f'):>5}"
                f" {fmt(r.flip.get(p), '.3f'):>6} {fmt(r.seconds.get(p), '4.0f'):>3}"
            )
        print(f"{r.model:22}" + "".join(cells) + f" | {fmt(r.cycles_s, '6.0f')}")
    medians = {}
    cells = []
    for p in peers:
        values = [r.db[p] for r in rows if p in r.db and np.isfinite(r.db[p])]
        ious = [r.iou[p] for r in rows if p in r.iou]
        flips = [f for r in rows if (f := r.flip.get(p)) is not None]
        if values:
            medians[p] = statistics.median(values)
        cells.append(
            f" | {fmt(medians.get(p), '7.2f'):>14}"
            f" {fmt(min(ious) if ious else None, '.3f'):>5}"
            f" {fmt(statistics.median(flips) if flips else None, '.3f'):>6}    "
        )
    print("-" * len(head))
    print(f"{'median (IoU: min)':22}" + "".join(cells))
    return medians


def report_goal(rows: list[Row], medians: dict[str, float]) -> None:
    if "meshfarm" not in medians:
        print("goal: not measured (meshfarm rendered nothing)")
        return
    low_iou = [r.model for r in rows if r.iou.get("meshfarm", 1.0) < GOAL_IOU]
    missing = [r.model for r in rows if "meshfarm" in r.errors]
    parts = []
    if "model-viewer" in medians:
        margin = medians["meshfarm"] - medians["model-viewer"]
        verdict = "met" if margin <= GOAL_MARGIN_DB else "NOT met"
        parts.append(
            f"median {medians['meshfarm']:.2f} dB vs model-viewer {medians['model-viewer']:.2f}"
            f" dB: {margin:+.2f} dB (goal ≤ +{GOAL_MARGIN_DB:g}) — {verdict}"
        )
    iou_verdict = "met" if not low_iou and not missing else f"NOT met: {', '.join(low_iou)}"
    parts.append(f"IoU ≥ {GOAL_IOU} on every model — {iou_verdict}")
    if missing:
        parts.append(f"meshfarm failed on {', '.join(missing)}")
    print("goal: " + "; ".join(parts))


def chrome_sphere() -> Path:
    """A unit mirror sphere (metallic 1, roughness 0): it shows every direction of the map."""
    path = CACHE / "orientation" / "chrome_sphere.glb"
    if not path.exists():
        import trimesh

        mesh = trimesh.creation.icosphere(subdivisions=5, radius=1.0)
        mesh.visual = trimesh.visual.TextureVisuals(
            material=trimesh.visual.material.PBRMaterial(
                baseColorFactor=[255, 255, 255, 255], metallicFactor=1.0, roughnessFactor=0.0
            )
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        glb = trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh), include_normals=True)
        path.write_bytes(glb)
    return path


def check_orientation(hdr: Path, args: argparse.Namespace) -> None:
    """Which way each peer turns the HDR: its score against Cycles turned 0/90/180/270°.

    The scenario contract has no rotation, so a peer agrees with Cycles (and with the
    generator's goldens) only if its best match is at 0°.
    """
    sphere = chrome_sphere()
    sc = {
        **{k: dict(v) if isinstance(v, dict) else v for k, v in scenarios.DEFAULT.items()},
        "dimensions": {"width": 128, "height": 128},
        "orbit": {"theta": 0.0, "phi": 90.0, "radius": 4.0},
        "name": "orientation-chrome-sphere",
        "model": str(sphere),
        "lighting": str(hdr),
        "renderSkybox": False,
    }
    folder = args.out / hdr.stem / "orientation"
    folder.mkdir(parents=True, exist_ok=True)
    goldens = {}
    for rotation in (0, 90, 180, 270):
        options = {"samples": 32, "denoise": True, "environmentRotation": rotation}
        linear, _ = cycles_reference(sc, sphere, options, args.rebuild)
        goldens[rotation] = tonemap.to_png_pixels(linear, "aces", args.transfer)
        Image.fromarray(goldens[rotation]).save(folder / f"cycles-{rotation}.png")
    peers = {"meshfarm": folder / "meshfarm.png"}
    try:
        run_cli_peer(args.meshfarm, sc, peers["meshfarm"])
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"meshfarm failed: {exc}")
        del peers["meshfarm"]
    if not args.no_model_viewer:
        peers["model-viewer"] = folder / "model-viewer.png"
        result = cached_model_viewer([(sc, peers["model-viewer"])], args.rebuild)[0]
        if "error" in result:
            print(f"model-viewer failed: {result['error']}")
            del peers["model-viewer"]
    print(f"chrome sphere under {hdr.name}, score against Cycles with the HDR turned by:")
    print(f"{'peer':14}" + "".join(f" {r:>7}°" for r in goldens) + "   best")
    for peer, path in peers.items():
        img = load_rgba(path)
        scores = {r: metric.fidelity_db(img, g) for r, g in goldens.items()}
        best = min(scores, key=lambda r: scores[r])
        verdict = "agrees with Cycles" if best == 0 else f"turned {best}° from Cycles"
        cells = "".join(f" {v:7.2f} " for v in scores.values())
        print(f"{peer:14}{cells}  {best:>4}° ({verdict})")
    print(f"images in {folder}")


def resolve_hdr(name: str) -> Path:
    path = Path(name)
    if path.is_file():
        return path.resolve()
    candidate = ENVIRONMENTS / (name if name.endswith(".hdr") else f"{name}.hdr")
    if not candidate.is_file():
        raise SystemExit(f"no HDR {name!r} (looked in {ENVIRONMENTS})")
    return candidate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", help="names from fidelity/scenarios.py")
    parser.add_argument("--hdr", default="chinese_garden_1k", help="name in shared/ or a path")
    parser.add_argument("--size", type=int, default=256, help="scenario long side (px)")
    parser.add_argument("--samples", type=int, default=128, help="Cycles samples per pixel")
    parser.add_argument("--no-denoise", action="store_true", help="Cycles without OIDN")
    parser.add_argument("--transfer", choices=tonemap.TRANSFERS, default="srgb")
    parser.add_argument("--meshfarm", default=DEFAULT_MESHFARM, help="meshfarm's CLI backend")
    parser.add_argument("--no-model-viewer", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached references")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--check-orientation", action="store_true", help="which way each peer turns the HDR"
    )
    args = parser.parse_args()
    if not REF_PYTHON.exists():
        raise SystemExit(f"{REF_PYTHON} missing: run `make bench-fidelity` first")
    hdr = resolve_hdr(args.hdr)
    if args.check_orientation:
        check_orientation(hdr, args)
        return
    chosen = scenarios.MODELS
    if args.models:
        known = {m.name: m for m in scenarios.MODELS}
        unknown = [n for n in args.models if n not in known]
        if unknown:
            raise SystemExit(f"unknown models {unknown}; known: {', '.join(known)}")
        chosen = tuple(known[n] for n in args.models)
    options = {"samples": args.samples, "denoise": not args.no_denoise}
    peers = ["meshfarm"] + ([] if args.no_model_viewer else ["model-viewer"])
    out_root = args.out / hdr.stem
    print(
        f"HDR {hdr.name}; scenario long side {args.size} (renders {2 * args.size}); Cycles "
        f"{args.samples} spp, {'no denoiser' if args.no_denoise else 'OIDN'}; ACES ×1/0.6 + "
        f"{args.transfer}; LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', 'default')}",
        flush=True,
    )
    rows, jobs = [], []
    for model in chosen:
        row = Row(model.name)
        rows.append(row)
        folder = out_root / model.name
        folder.mkdir(parents=True, exist_ok=True)
        path = scenarios.unpacked(scenarios.find(model.file), CACHE)
        ref_path = plain_copy(path, CACHE / "plain" / path.name) if model.meshopt else path
        sc = scenarios.scenario(model, path, hdr, args.size)
        (folder / "scenario.json").write_text(json.dumps(sc, indent=2))
        try:
            linear, row.cycles_s = cycles_reference(sc, ref_path, options, args.rebuild)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"{model.name}: no reference ({exc})", flush=True)
            row.errors = dict.fromkeys(peers, "no Cycles reference")
            continue
        golden = tonemap.to_png_pixels(linear, "aces", args.transfer)
        Image.fromarray(golden).save(folder / "cycles.png")
        try:
            row.seconds["meshfarm"] = run_cli_peer(args.meshfarm, sc, folder / "meshfarm.png")
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            row.errors["meshfarm"] = str(exc)
        jobs.append((row, folder, sc, golden))
        print(
            f"{model.name}: Cycles {fmt(row.cycles_s, '.0f') if row.cycles_s else 'cached'}"
            f", meshfarm {fmt(row.seconds.get('meshfarm'), '.1f')} s"
            + (f" ({row.errors['meshfarm'][:120]})" if "meshfarm" in row.errors else ""),
            flush=True,
        )
    if "model-viewer" in peers and jobs:
        results = cached_model_viewer(
            [(sc, folder / "model-viewer.png") for _, folder, sc, _ in jobs], args.rebuild
        )
        for (row, *_), result in zip(jobs, results, strict=True):
            if "error" in result:
                row.errors["model-viewer"] = result["error"]
            elif result["seconds"] is not None:
                row.seconds["model-viewer"] = result["seconds"]
    pairs, owners = [], []
    for row, folder, _, golden in jobs:
        evaluate(row, folder, golden, peers)
        for peer in peers:
            if peer in row.db:
                pairs.append((folder / f"{peer}.png", folder / "cycles.png"))
                owners.append((row, peer))
    for (row, peer), value in zip(owners, flip_means(pairs), strict=True):
        row.flip[peer] = value
    print()
    medians = print_table(rows, peers)
    report_goal(rows, medians)
    summary = [vars(r) for r in rows]
    (out_root / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"images and summary.json in {out_root}")


if __name__ == "__main__":
    main()

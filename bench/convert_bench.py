"""meshfarm's converter against Blender's, file by file: time, output size and the
format's own validator verdict for each target (docs/conversion-benchmark.md).

For every good file of the corpus (all but ``bad/`` and ``environments/``) and each target
of glb, usdz, usdc, usda that :data:`exchange.asset.TARGETS` has at run time (the others
are skipped with a note): meshfarm's :func:`exchange.asset.convert` in this process (FBX
and .zae through their readers when ``read_asset`` does not take them yet), and Blender's
importer + exporter with their defaults (bench/blender_convert.py, one .venv-blender
process per file). Verdicts: GLB the Khronos validator's errors; USDZ OpenUSD's ARKit
rules and UsdValidation's errors; USDC/USDA UsdValidation's errors.

    .venv/bin/python bench/convert_bench.py --out /tmp/convert-bench.md
    .venv/bin/python bench/convert_bench.py --files Duck,fbx/ --targets glb,usdz
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from exchange.asset import TARGETS, convert
from exchange.errors import AssetInvalid
from health.validators import check_arkit, validate_gltf, validate_usd

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "assets"  # the shared corpus beside the checkout
SKIPPED_FOLDERS = ("bad", "environments")
WANTED = ("glb", "usdz", "usdc", "usda")
BLENDER_SCRIPT = ROOT / "bench" / "blender_convert.py"


@dataclass
class Outcome:
    """One converter's result for one file and target."""

    ms: float | None = None
    size: int | None = None
    verdict: str = ""
    clean: bool = False
    """GLB: 0 validator errors; USDZ: ARKit-clean; USDC/USDA: 0 UsdValidation errors."""

    def cells(self) -> list[str]:
        if self.ms is None:
            return ["—", "—", self.verdict]
        return [f"{self.ms:.0f}", f"{(self.size or 0) / 1024:.0f} KB", self.verdict]


def corpus_files(root: Path, only: list[str]) -> list[Path]:
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.relative_to(root).parts[0] not in SKIPPED_FOLDERS
        and p.suffix.lower() not in (".md", "")
        and p.name != "SHA256SUMS"
    )
    if only:
        files = [p for p in files if any(o in str(p.relative_to(root)) for o in only)]
    return files


def meshfarm_convert(source: Path, dest: Path, target: str, blender: Path) -> None:
    """:func:`exchange.asset.convert` with its defaults, Blender given for FBX."""
    convert(source, dest, target, blender_python=blender)


def judge(path: Path, target: str) -> tuple[str, bool]:
    """The target's validator verdict on ``path`` and whether it counts as clean."""
    try:
        if target == "glb":
            gltf = validate_gltf(path)
            return f"{gltf.errors} err", gltf.errors == 0
        usd = validate_usd(path)
        errors = f"{len(usd.errors)} err" if usd.available else "UsdValidation n/a"
        if target == "usdz":
            arkit = check_arkit(path)
            rules = ", ".join(sorted(arkit.failed_rules)[:2]) or "unnamed"
            state = "ok" if arkit.ok else f"FAIL ({rules})"
            return f"ARKit {state}, {errors}", arkit.ok
        return errors, usd.ok
    except Exception as exc:  # a validator that cannot open the output is a verdict too
        return f"validator: {type(exc).__name__}", False


def run_meshfarm(source: Path, out: Path, target: str, blender: Path) -> Outcome:
    dest = out / f"meshfarm.{target}"
    started = time.monotonic()
    try:
        meshfarm_convert(source, dest, target, blender)
    except AssetInvalid as exc:
        return Outcome(verdict=f"refused: {str(exc)[:70]}")
    except Exception as exc:  # a crash is a result of the benchmark, not its end
        return Outcome(verdict=f"crash: {type(exc).__name__}: {str(exc)[:60]}")
    ms = (time.monotonic() - started) * 1000
    verdict, clean = judge(dest, target)
    return Outcome(ms, dest.stat().st_size, verdict, clean)


def run_blender(
    source: Path, out: Path, targets: list[str], python: Path, timeout_s: float
) -> dict[str, Outcome]:
    command = [str(python), str(BLENDER_SCRIPT), "--", str(source), str(out), ",".join(targets)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {t: Outcome(verdict=f"timeout {timeout_s:.0f} s") for t in targets}
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(b"RESULT ")), None)
    if line is None:
        return {t: Outcome(verdict=f"Blender exited {done.returncode}") for t in targets}
    outcomes = {}
    for r in json.loads(line[len(b"RESULT ") :])["results"]:
        if "error" in r:
            outcomes[r["target"]] = Outcome(verdict=f"failed: {r['error'][:70]}")
            continue
        path = Path(r["path"])
        verdict, clean = judge(path, r["target"])
        outcomes[r["target"]] = Outcome(r["ms"], path.stat().st_size, verdict, clean)
    return outcomes


def share(rows: list[tuple[str, str, Outcome, Outcome]], target: str, side: int) -> str:
    picked = [row[3] if side else row[2] for row in rows if row[1] == target]
    if not picked:
        return "n/a"
    clean = sum(o.clean for o in picked)
    return f"{clean}/{len(picked)} ({100 * clean / len(picked):.0f} %)"


def report(rows: list[tuple[str, str, Outcome, Outcome]], notes: list[str]) -> str:
    head = "| file | target | meshfarm ms | size | verdict | Blender ms | size | verdict |"
    lines = [head, "| --- | --- | ---: | ---: | --- | ---: | ---: | --- |"]
    for name, target, mine, theirs in rows:
        cells = [name, target, *mine.cells(), *theirs.cells()]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    lines.append("")
    for label, side in (("meshfarm", 0), ("Blender", 1)):
        lines.append(
            f"**{label}**: GLB with 0 validator errors {share(rows, 'glb', side)}; "
            f"USDZ ARKit-clean {share(rows, 'usdz', side)}; USDC 0 errors "
            f"{share(rows, 'usdc', side)}; USDA 0 errors {share(rows, 'usda', side)}"
        )
        lines.append("")
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--files", default="", help="comma-separated parts of corpus paths")
    parser.add_argument("--targets", default=",".join(WANTED))
    parser.add_argument("--blender-python", type=Path, default=ROOT / ".venv-blender/bin/python")
    parser.add_argument("--blender-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    args = parser.parse_args()
    wanted = [t for t in args.targets.split(",") if t]
    targets = [t for t in wanted if t in TARGETS]
    notes = [f"{t}: not in exchange.asset.TARGETS yet, skipped" for t in wanted if t not in TARGETS]
    files = corpus_files(args.corpus, [f for f in args.files.split(",") if f])
    rows: list[tuple[str, str, Outcome, Outcome]] = []
    started = time.monotonic()
    for source in files:
        name = str(source.relative_to(args.corpus))
        with tempfile.TemporaryDirectory(prefix="convert-bench-") as tmp:
            out = Path(tmp)
            (out / "meshfarm").mkdir()
            (out / "blender").mkdir()
            mine = {
                t: run_meshfarm(source, out / "meshfarm", t, args.blender_python) for t in targets
            }
            theirs = run_blender(
                source, out / "blender", targets, args.blender_python, args.blender_timeout
            )
        for t in targets:
            rows.append((name, t, mine[t], theirs.get(t, Outcome(verdict="not run"))))
            print(
                f"{name} {t}: meshfarm {mine[t].cells()} | Blender {rows[-1][3].cells()}",
                file=sys.stderr,
            )
    notes.append(
        f"{len(files)} files × {len(targets)} targets in {time.monotonic() - started:.0f} s; "
        "times are import + write in a warm process (Blender's start-up, about 0.7 s a "
        "process, not counted; meshfarm's FBX time includes its Blender subprocess)"
    )
    text = report(rows, notes)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()

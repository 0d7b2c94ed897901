"""One conversion end to end, as a convert job runs it (health.refine): read, repair,
write, the target's validators, the round trip, the health report, its thumbnail and PDF.

Prints the median wall time of each stage and of the whole over ``--runs`` runs, beside
the goal (Duck.glb → USDZ + health report ≤ 3 s on 2 cores). Peer figures for the
conversion alone (Blender) are in bench/convert_bench.py.

    .venv/bin/python bench/refine_bench.py --model tests/assets/Duck.glb --target usdz
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from health.refine import refine

GOAL_S = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("tests/assets/Duck.glb"))
    parser.add_argument("--target", default="usdz")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for run in range(args.runs + 1):  # the first run warms imports and the validator
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            refined = refine(args.model, Path(tmp), args.target, name=args.model.stem)
            elapsed = time.monotonic() - started
        if run == 0:
            print(f"cold run: {elapsed:.2f} s (imports, Node start-up)")
            continue
        totals.append(elapsed)
        for stage, seconds in refined.timings.items():
            stages.setdefault(stage, []).append(seconds)
    for stage, values in stages.items():
        print(f"  {stage:<12} {statistics.median(values) * 1000:8.1f} ms")
    median = statistics.median(totals)
    verdict = "meets" if median <= GOAL_S else "misses"
    print(
        f"{args.model.name} → {args.target} + health report: median {median:.2f} s over "
        f"{args.runs} runs ({verdict} the {GOAL_S:g} s goal); score "
        f"{refined.document['health_score']}"
    )


if __name__ == "__main__":
    main()

"""Dataset export wall time: the 100x800 tier, split into render, PNG encoding and ZIP.

    .venv/bin/python bench/dataset_bench.py [--tier 100x800] [--models Duck.glb ...]

For each model (from ../shared/assets/glb, else tests/assets) it writes the tier's
dataset ZIP to a temporary folder with ``datasets.write_dataset`` and prints:

- wall: the whole job, load to closed ZIP (the goal is ≤ 60 s on 2 CPU cores);
- render: time on the GL thread inside ``LayersRenderer.render`` (llvmpipe uses both
  cores there);
- encode: CPU time of PNG / .npy / 8- and 16-bit depth encoding, summed over the two
  encoder threads — it overlaps rendering, so render + encode + zip may exceed wall;
- zip: CPU time writing entries (deflating the .npy depth) on the writer thread, also
  overlapped;
- process CPU time, the ZIP size and seconds per view.

Other engineers run tests on the same 2-core machine, so wall times are noisy: run it
twice and read the CPU time beside the wall time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from datasets import write_dataset
from renderer import load_scene
from workers.local_dataset import dataset_views
from workers.specs import DatasetSpec

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets" / "glb"  # ../shared beside the checkout


def model_path(name: str) -> Path:
    for folder in (SHARED, ROOT / "tests" / "assets"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name} not found in {SHARED} or tests/assets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tier", default="100x800")
    parser.add_argument("--coverage", default="hemisphere")
    parser.add_argument("--models", nargs="+", default=["Duck.glb", "DamagedHelmet.glb"])
    args = parser.parse_args()
    spec = dataset_views(DatasetSpec(model_id="bench", tier=args.tier, coverage=args.coverage))
    print(
        f"tier {args.tier} ({spec.views} views at {spec.size}²), {args.coverage}, "
        f"{os.cpu_count()} CPUs, LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', '-')}"
    )
    header = f"{'model':<20}{'wall s':>8}{'render s':>10}{'encode s':>10}{'zip s':>8}"
    print(header + f"{'cpu s':>8}{'s/view':>8}{'MB':>8}")
    for name in args.models:
        path = model_path(name)
        with tempfile.TemporaryDirectory(prefix="dataset-bench-") as tmp:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            stats = write_dataset(load_scene(path), Path(tmp) / "dataset.zip", spec)
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
        print(
            f"{name:<20}{wall:>8.1f}{stats.render_s:>10.1f}{stats.encode_s:>10.1f}"
            f"{stats.zip_s:>8.1f}{cpu:>8.1f}{wall / spec.views:>8.2f}"
            f"{stats.zip_bytes / 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()

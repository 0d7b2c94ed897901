"""Encode speed per quality tier: the main video alone, and the whole fan-out.

    .venv/bin/python bench/encode_bench.py [--frames-scale 1.0] [--tiers share,standard,4k,pro]

Prints frames per second (wall) and CPU seconds per frame: on a shared machine the CPU
figure is the steadier one, and wall fps ≈ cores / (CPU s per frame) when nothing else runs.
Frames are synthetic but not trivial for the encoder (gradient, textured moving object).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from encoders import encode_render, h264_encoder, video_specs
from encoders.video import VideoWriter
from renderer import output_size
from workers.catalogue import VIDEO_TIERS

FRAMES = {"share": 90, "standard": 60, "4k": 20, "pro": 6}
"""Frames encoded per tier (at 16:9): fewer for the larger ones."""


def tier_size(tier: str) -> tuple[int, int]:
    return output_size(VIDEO_TIERS[tier].long_side, "16:9")


def templates(width: int, height: int, transparent: bool) -> list[np.ndarray]:
    """A gradient backdrop and a noisy disc at 8 positions (made once, outside the timing)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(0)
    frames = []
    for i in range(8):
        frame = np.empty((height, width, 4), np.uint8)
        frame[..., 0] = xx * 255 // width
        frame[..., 1] = yy * 255 // height
        frame[..., 2] = 160
        frame[..., 3] = 0 if transparent else 255
        cx, cy, r = width * (0.3 + 0.05 * i), height / 2, height / 4
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        frame[disc, :3] = rng.integers(0, 256, (int(disc.sum()), 3), dtype=np.uint8)
        frame[disc, 3] = 255
        frames.append(frame)
    return frames


def stream(frames: list[np.ndarray], count: int) -> Iterator[np.ndarray]:
    """Fresh copies, as a renderer hands out new arrays."""
    for i in range(count):
        yield frames[i % len(frames)].copy()


def timed(run: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_tier(tier: str, count: int) -> tuple[float, float, float, float]:
    """(main fps, main CPU s/frame, fan-out fps, fan-out CPU s/frame) for one tier."""
    width, height = tier_size(tier)
    codec = VIDEO_TIERS[tier].main_codec
    frames = templates(width, height, transparent=VIDEO_TIERS[tier].transparent)
    main_spec = video_specs(codec, width, height)[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def main_only() -> None:
            writer = VideoWriter(main_spec, out / main_spec.filename)
            for frame in stream(frames, count):
                writer.write(frame)
            writer.close()

        def fan_out() -> None:
            encode_render(
                stream(frames, count), out / "all", main_codec=codec, bg_color=(255, 255, 255)
            )

        main_wall, main_cpu = timed(main_only)
        all_wall, all_cpu = timed(fan_out)
    return count / main_wall, main_cpu / count, count / all_wall, all_cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default=",".join(FRAMES))
    parser.add_argument("--frames-scale", type=float, default=1.0)
    args = parser.parse_args()
    print(f"H.264 encoder: {h264_encoder()}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    print("tier      size        frames | main fps CPU s/f | all fps CPU s/f")
    for tier in args.tiers.split(","):
        width, height = tier_size(tier)
        count = max(2, round(FRAMES[tier] * args.frames_scale))
        main_fps, main_cpu, all_fps, all_cpu = bench_tier(tier, count)
        print(
            f"{tier:9} {width:>5}×{height:<5} {count:>6} | {main_fps:8.1f} {main_cpu:7.3f} "
            f"| {all_fps:7.1f} {all_cpu:7.3f}"
        )


if __name__ == "__main__":
    main()

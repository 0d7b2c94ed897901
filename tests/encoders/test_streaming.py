"""Streaming behaviour: posters first, progress, bounded memory, frames shared safely."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
from enc_helpers import moving_square

from encoders import EncodedFile, encode_render


def test_posters_are_ready_before_the_second_frame_is_asked_for(tmp_path: Path) -> None:
    events: list[str] = []

    def frames() -> Iterator[np.ndarray]:
        for i, frame in enumerate(moving_square(8, 320, 180)):
            events.append(f"frame {i}")
            yield frame

    def on_poster(posters: dict[str, EncodedFile]) -> None:
        assert set(posters) == {"poster", "poster_full"}
        assert all(f.path.is_file() and f.size > 0 for f in posters.values())
        assert not (tmp_path / "video.mp4").exists()
        events.append("posters")

    encode_render(frames(), tmp_path, main_codec="h264", bg_color=(9, 9, 9), on_poster=on_poster)
    assert events[:3] == ["frame 0", "posters", "frame 1"]


def test_progress_counts_encoded_frames_up_to_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    files = encode_render(
        moving_square(40, 320, 180),
        tmp_path,
        main_codec="h264",
        bg_color=(0, 0, 0),
        total_frames=40,
        progress=lambda done, total: seen.append((done, total)),
    )
    done = [d for d, _ in seen]
    assert done == sorted(set(done)) and done[0] >= 1  # strictly increasing
    assert seen[-1] == (40, 40) and {t for _, t in seen} == {40}
    assert files["video"].frames == files["web"].frames == files["thumb"].frames == 40

    seen.clear()
    encode_render(
        moving_square(5, 320, 180),
        tmp_path / "b",
        main_codec="h264",
        bg_color=(0, 0, 0),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (5, None)


def test_memory_stays_bounded_over_hundreds_of_frames(tmp_path: Path) -> None:
    """400 fresh 960×540 RGBA frames (830 MB) produced faster than they are encoded: only a
    few may be alive at once. The three encoders' own buffers are a fixed ≈120 MB here."""
    process = psutil.Process()
    templates = list(moving_square(16))

    def frames() -> Iterator[np.ndarray]:
        for i in range(400):
            yield templates[i % 16].copy()  # a new array each time, as the renderer does

    baseline = process.memory_info().rss
    peak = baseline
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        files = encode_render(frames(), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    finally:
        stop.set()
        sampler.join()
    assert files["video"].frames == 400
    growth_mb = (peak - baseline) / 2**20
    assert growth_mb < 300, f"RSS grew {growth_mb:.0f} MB"  # an unbounded queue: ≈ 700 MB

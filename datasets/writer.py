"""Render the views and stream the dataset ZIP: the one module that drives a job.

Pass 1 renders each view on the calling thread (the GL thread) while worker threads
encode the previous views' PNGs and ``.npy``, and one writer thread appends them to the
ZIP in view order — so output is deterministic and at most ``IN_FLIGHT`` views are in
memory. The dataset-wide ``depth_near``/``depth_far`` are only known once every view is
rendered, so pass 2 reads each view's exact depth back from the ZIP being written
(``ZipFile`` in ``w`` mode reads its own finished entries) and adds ``depth/`` and
``depth_16bit/``; last come the JSON files, ``points3d.ply`` and ``overview.webp``.

Entries carry a fixed timestamp: the same model and spec give a byte-identical ZIP.
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from datasets.contact_sheet import ContactSheet
from datasets.depth import DepthRange, DepthSpan
from datasets.encoding import normals_to_rgb, npy_bytes, png_bytes
from datasets.points import PointSampler
from datasets.transforms import (
    PLY_NAME,
    FrameFiles,
    Intrinsics,
    gaussian_splatting_splits,
    transforms,
)
from datasets.views import COVERAGES, FOV_Y_DEG, Coverage, dataset_cameras
from renderer import Bounds, Camera, Layers, LayersRenderer, RenderSettings, Scene, stage

Progress = Callable[[int, int], None]

IN_FLIGHT = 2
"""Views rendered but not yet written. Rendering is the bottleneck, so two keep the
encoders busy; each costs ≈ 15 MB at 800², ≈ 150 MB at 2048² (layers plus encodings)."""

ENCODE_THREADS = 2
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DatasetSpec:
    """What to render: ``views`` square images of ``size`` px, spread over ``coverage``."""

    views: int
    size: int
    coverage: Coverage = "hemisphere"
    fov_y_deg: float = FOV_Y_DEG

    def __post_init__(self) -> None:
        """A bad value is a ValueError here, before any scene is loaded or view rendered."""
        if self.views < 1 or self.size < 1:
            raise ValueError(f"views and size must be positive, got {self.views}, {self.size}")
        if self.coverage not in COVERAGES:
            raise ValueError(f"coverage must be {' or '.join(COVERAGES)}, got {self.coverage!r}")


@dataclass
class DatasetStats:
    """Where the time went. ``render_s``: wall time in ``LayersRenderer.render`` on the
    calling (GL) thread. ``encode_s`` and ``zip_s``: CPU time of the encoder threads
    (summed) and of the writer thread — work that overlaps the rendering, measured as
    CPU time so that a busy shared machine does not inflate it."""

    views: int
    render_s: float = 0.0
    encode_s: float = 0.0
    zip_s: float = 0.0
    wall_s: float = 0.0
    zip_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_encode(self, seconds: float) -> None:
        """Called from the encoding threads."""
        with self._lock:
            self.encode_s += seconds


@dataclass
class _Entry:
    name: str
    data: bytes
    deflate: bool = False


class _Writer:
    """One dataset being written: the ZIP, the threads, and what the views add up to.

    The ZIP is touched by one thread at a time: the writer thread while views are in
    flight, the calling thread once everything before it has been drained.
    """

    def __init__(
        self, zf: zipfile.ZipFile, spec: DatasetSpec, stats: DatasetStats, report: Progress
    ) -> None:
        self.zf, self.spec, self.stats, self.report = zf, spec, stats, report
        self.span = DepthSpan()
        self.sampler = PointSampler.for_views(spec.views)
        self.sheet = ContactSheet(spec.views)
        self.pool = ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="dataset-enc")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="dataset-zip")
        self.pending: deque[Future[None]] = deque()

    def close(self) -> None:
        """Let queued work finish (or fail) and stop the threads."""
        self.writer.shutdown()
        self.pool.shutdown()

    def write(self, entries: list[_Entry]) -> None:
        start = time.thread_time()
        for e in entries:
            info = zipfile.ZipInfo(e.name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if e.deflate else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            self.zf.writestr(info, e.data, compresslevel=1 if e.deflate else None)
        self.stats.zip_s += time.thread_time() - start

    def render_views(self, renderer: LayersRenderer, cameras: list[Camera]) -> None:
        """Pass 1: images/, normals/, masks/, depth_exact/, and the running sums."""
        size, total = self.spec.size, 2 * self.spec.views
        for index, camera in enumerate(cameras):
            start = time.perf_counter()
            layers = renderer.render(camera, size, size)
            self.stats.render_s += time.perf_counter() - start
            encoded = self.pool.submit(_encode_view, index, layers, self.stats)
            self.pending.append(self.writer.submit(self._add_view, index, camera, layers, encoded))
            self._drain(IN_FLIGHT)
            self.report(index + 1, total)
        self._drain(0)

    def _add_view(
        self,
        index: int,
        camera: Camera,
        layers: Layers,
        encoded: Future[tuple[list[_Entry], np.ndarray, np.ndarray]],
    ) -> None:
        entries, rgb, normals_rgb = encoded.result()
        self.write(entries)
        self.span.add(layers.depth)
        self.sampler.add(index, camera, layers.depth, rgb, layers.normal, layers.mask)
        self.sheet.add(index, rgb, layers.depth, normals_rgb, layers.mask)

    def write_depth_images(self, depth_range: DepthRange) -> None:
        """Pass 2: depth/ and depth_16bit/ from the exact depth already in the ZIP.

        zipfile refuses a read while a write is open, so the reads queue on the writer
        thread too, two views ahead of the encoding.
        """
        views = self.spec.views
        reads = deque(self.writer.submit(self._read_depth, i) for i in range(min(2, views)))
        for index in range(views):
            depth = reads.popleft().result()
            if index + 2 < views:
                reads.append(self.writer.submit(self._read_depth, index + 2))
            files = FrameFiles.of(index)
            encoded = self.pool.submit(_encode_depth, files, depth, depth_range, self.stats)
            self.pending.append(self.writer.submit(self._write_when_ready, encoded))
            self._drain(IN_FLIGHT)
            self.report(views + index + 1, 2 * views)
        self._drain(0)

    def _read_depth(self, index: int) -> np.ndarray:
        return np.load(io.BytesIO(self.zf.read(FrameFiles.of(index).depth_exact)))

    def _write_when_ready(self, entries: Future[list[_Entry]]) -> None:
        self.write(entries.result())

    def _drain(self, keep: int) -> None:
        """Wait (oldest first) until at most ``keep`` views are pending; re-raise errors."""
        while len(self.pending) > keep:
            self.pending.popleft().result()


def scene_bounds(scene: Scene) -> Bounds:
    """Bounds of the model's rest pose, as it is (no user rotation)."""
    return stage(scene, RenderSettings())[1]


def write_dataset(
    scene: Scene, out_zip: Path, spec: DatasetSpec, progress: Progress | None = None
) -> DatasetStats:
    """Render ``spec``'s views of ``scene`` into the dataset ZIP ``out_zip``.

    ``progress(done, total)`` is called from this thread: one step per view rendered,
    one per view whose 8/16-bit depth is written. On any error the partial ZIP is
    removed and the error propagates.
    """
    started = time.perf_counter()
    bounds = scene_bounds(scene)
    cameras = dataset_cameras(
        bounds, spec.views, spec.coverage, spec.size, spec.size, spec.fov_y_deg
    )
    intrinsics = Intrinsics(spec.size, spec.size, spec.fov_y_deg)
    stats = DatasetStats(views=spec.views)
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            zipfile.ZipFile(out_zip, "w", allowZip64=True) as zf,
            LayersRenderer(scene) as renderer,
        ):
            w = _Writer(zf, spec, stats, progress or (lambda done, total: None))
            try:
                w.render_views(renderer, cameras)
                depth_range = w.span.range()
                w.write_depth_images(depth_range)
            finally:
                w.close()
            train, test = gaussian_splatting_splits(cameras, intrinsics)
            plain = transforms(cameras, intrinsics, bounds, depth_range, spec.coverage)
            masked = transforms(
                cameras, intrinsics, bounds, depth_range, spec.coverage, masked=True
            )
            w.write(
                [
                    _Entry("transforms.json", _json(plain)),
                    _Entry("transforms_masked.json", _json(masked)),
                    _Entry("transforms_train.json", _json(train)),
                    _Entry("transforms_test.json", _json(test)),
                    _Entry(PLY_NAME, w.sampler.ply_bytes(), deflate=True),
                    _Entry("overview.webp", w.sheet.webp_bytes(depth_range)),
                ]
            )
        stats.zip_bytes = out_zip.stat().st_size
    except BaseException:
        out_zip.unlink(missing_ok=True)
        raise
    stats.wall_s = time.perf_counter() - started
    return stats


def _encode_view(
    index: int, layers: Layers, stats: DatasetStats
) -> tuple[list[_Entry], np.ndarray, np.ndarray]:
    """images/, normals/, masks/ PNGs and depth_exact/ .npy of one view."""
    start = time.thread_time()
    files = FrameFiles.of(index)
    rgb = layers.rgb()
    normals_rgb = normals_to_rgb(layers.normal)
    entries = [
        _Entry(files.image, png_bytes(rgb)),
        _Entry(files.normal, png_bytes(normals_rgb)),
        _Entry(files.mask, png_bytes(layers.mask)),
        _Entry(files.depth_exact, npy_bytes(layers.depth.astype(np.float32)), deflate=True),
    ]
    stats.add_encode(time.thread_time() - start)
    return entries, rgb, normals_rgb


def _encode_depth(
    files: FrameFiles, depth: np.ndarray, depth_range: DepthRange, stats: DatasetStats
) -> list[_Entry]:
    start = time.thread_time()
    entries = [
        _Entry(files.depth8, png_bytes(depth_range.encode(depth, 8))),
        _Entry(files.depth16, png_bytes(depth_range.encode(depth, 16))),
    ]
    stats.add_encode(time.thread_time() - start)
    return entries


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()

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
from datasets.tiers import Coverage, tier
from datasets.tiers import coverage as check_coverage
from datasets.transforms import (
    PLY_NAME,
    FrameFiles,
    Intrinsics,
    gaussian_splatting_splits,
    transforms,
)
from datasets.views import FOV_Y_DEG, dataset_cameras
from renderer import Bounds, Camera, Layers, LayersRenderer, RenderSettings, Scene, stage

Progress = Callable[[int, int], None]

IN_FLIGHT = 3
"""Views rendered but not yet written (bounds memory: ~40 MB per 800² view)."""

ENCODE_THREADS = 2
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DatasetSpec:
    """What to render: ``views`` square images of ``size`` px, spread over ``coverage``."""

    views: int
    size: int
    coverage: Coverage = "hemisphere"
    fov_y_deg: float = FOV_Y_DEG

    @classmethod
    def from_api(cls, quality: str = "100x800", coverage: str = "hemisphere") -> DatasetSpec:
        """The spec of a dx.gl ``datasetQuality`` / ``coverage`` pair (ValueError if bad)."""
        t = tier(quality)
        return cls(views=t.views, size=t.size, coverage=check_coverage(coverage))


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


@dataclass
class _Job:
    """Shared state of one dataset being written (touched by the writer thread only)."""

    zf: zipfile.ZipFile
    stats: DatasetStats
    span: DepthSpan = field(default_factory=DepthSpan)

    def write(self, entries: list[_Entry]) -> None:
        start = time.thread_time()
        for e in entries:
            info = zipfile.ZipInfo(e.name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if e.deflate else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            self.zf.writestr(info, e.data, compresslevel=1 if e.deflate else None)
        self.stats.zip_s += time.thread_time() - start


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
    total = 2 * spec.views
    report = progress or (lambda done, total: None)
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            zipfile.ZipFile(out_zip, "w", allowZip64=True) as zf,
            LayersRenderer(scene) as renderer,
            ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="dataset-enc") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="dataset-zip") as writer,
        ):
            job = _Job(zf, stats)
            sampler = PointSampler.for_views(spec.views)
            sheet = ContactSheet(spec.views)
            pending: deque[Future[None]] = deque()

            def after_view(
                index: int,
                camera: Camera,
                layers: Layers,
                encoded: Future[tuple[list[_Entry], np.ndarray, np.ndarray]],
            ) -> None:
                entries, rgb, normals_rgb = encoded.result()
                job.write(entries)
                job.span.add(layers.depth)
                sampler.add(index, camera, layers.depth, rgb, layers.normal, layers.mask)
                sheet.add(index, rgb, layers.depth, normals_rgb, layers.mask)

            for index, camera in enumerate(cameras):
                start = time.perf_counter()
                layers = renderer.render(camera, spec.size, spec.size)
                stats.render_s += time.perf_counter() - start
                encoded = pool.submit(_encode_view, index, layers, stats)
                pending.append(writer.submit(after_view, index, camera, layers, encoded))
                _drain(pending, IN_FLIGHT)
                report(index + 1, total)
            _drain(pending, 0)

            depth_range = job.span.range()
            # Only the writer thread touches the ZIP (zipfile refuses a read while a write
            # is open), so reads queue behind the writes, a few views ahead.
            reads = deque(
                writer.submit(_read_depth, zf, index) for index in range(min(2, spec.views))
            )
            for index in range(spec.views):
                depth = reads.popleft().result()
                if index + 2 < spec.views:
                    reads.append(writer.submit(_read_depth, zf, index + 2))
                files = FrameFiles.of(index)
                encoded_depth = pool.submit(_encode_depth, files, depth, depth_range, stats)
                pending.append(writer.submit(_write_when_ready, job, encoded_depth))
                _drain(pending, IN_FLIGHT)
                report(spec.views + index + 1, total)
            _drain(pending, 0)

            job.write(
                _final_entries(cameras, intrinsics, bounds, depth_range, spec, sampler, sheet)
            )
        stats.zip_bytes = out_zip.stat().st_size
    except BaseException:
        out_zip.unlink(missing_ok=True)
        raise
    stats.wall_s = time.perf_counter() - started
    return stats


def _read_depth(zf: zipfile.ZipFile, index: int) -> np.ndarray:
    """View ``index``'s exact depth, read back from the ZIP being written."""
    return np.load(io.BytesIO(zf.read(FrameFiles.of(index).depth_exact)))


def _write_when_ready(job: _Job, entries: Future[list[_Entry]]) -> None:
    job.write(entries.result())


def _drain(pending: deque[Future[None]], keep: int) -> None:
    """Wait (oldest first) until at most ``keep`` views are pending; re-raise errors."""
    while len(pending) > keep:
        pending.popleft().result()


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


def _final_entries(
    cameras: list[Camera],
    intrinsics: Intrinsics,
    bounds: Bounds,
    depth_range: DepthRange,
    spec: DatasetSpec,
    sampler: PointSampler,
    sheet: ContactSheet,
) -> list[_Entry]:
    train, test = gaussian_splatting_splits(cameras, intrinsics)
    return [
        _Entry(
            "transforms.json",
            _json(transforms(cameras, intrinsics, bounds, depth_range, spec.coverage)),
        ),
        _Entry(
            "transforms_masked.json",
            _json(transforms(cameras, intrinsics, bounds, depth_range, spec.coverage, masked=True)),
        ),
        _Entry("transforms_train.json", _json(train)),
        _Entry("transforms_test.json", _json(test)),
        _Entry(PLY_NAME, sampler.ply_bytes(), deflate=True),
        _Entry("overview.webp", sheet.webp_bytes(depth_range)),
    ]

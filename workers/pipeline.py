"""One render job, start to finish: model → frames → encoded files → object store.

Status events follow dx.gl's flow: poster-processing when frames start, poster-done as soon
as the first frame's posters are uploaded (they are downloadable while the frames are
rendered and encoded), video-processing once the last frame is rendered (the encoders
finish and the files are uploaded), then done with every asset's key. A bad model ends in
an ``error`` event with a human message; the worker process itself never dies from one.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from workers import scene_cache
from workers.config import H264Choice, Settings
from workers.environments import BUILTIN_ENVIRONMENTS, load_stored_environment
from workers.jobs import Asset, EventKind, JobEvent, JobSpec
from workers.storage import ObjectStore
from workers.tee import tee

log = logging.getLogger("meshfarm.workers")
Emit = Callable[[JobEvent], None]
PREVIEW_SCALE = 2  # the free preview renders at half the share size: 480×270


class OverlayMissing(Exception):
    """The render's ``bgImageId`` overlay was deleted before the render ran."""


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class _Job:
    """Event helpers bound to one spec."""

    def __init__(
        self, spec: JobSpec, store: ObjectStore, emit: Emit, h264_encoder: H264Choice
    ) -> None:
        self.spec = spec
        self.store = store
        self.emit = emit
        self.h264_encoder = h264_encoder
        self.timings: dict[str, float] = {}
        self.finished = False

    def event(self, kind: EventKind, **fields: Any) -> None:
        self.finished = self.finished or kind in ("done", "error")
        self.emit(
            JobEvent(
                job_id=self.spec.job_id,
                render_id=self.spec.render_id,
                lease_version=self.spec.lease_version,
                kind=kind,
                **fields,
            )
        )

    def upload(self, name: str, path: Path, content_type: str) -> Asset:
        key = f"{self.spec.output_prefix}/{path.name}"
        started = time.monotonic()
        size = self.store.put_file(key, path, content_type)
        self.timings["upload"] = self.timings.get("upload", 0.0) + time.monotonic() - started
        return Asset(key=key, content_type=content_type, size=size)


def load_background(spec: JobSpec, store: ObjectStore, workdir: Path) -> np.ndarray | None:
    """The ``bgImageId`` overlay's pixels (H×W×3, or ×4 when it has transparency)."""
    overlay_id = spec.settings.get("bgImageId")
    if not overlay_id:
        return None
    if spec.bg_image_key is None:
        raise OverlayMissing(f"The background overlay {overlay_id!r} no longer exists")
    path = store.download(spec.bg_image_key, workdir / "background")
    return read_image(path)


def read_image(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        alpha = "A" in img.getbands() or "transparency" in img.info
        return np.asarray(img.convert("RGBA" if alpha else "RGB"))


def load_environment(spec: JobSpec, store: ObjectStore, workdir: Path) -> Any:
    """The uploaded ``environment`` map, or None for a built-in one (named in the settings)."""
    name = spec.settings.get("environment")
    if not name or name in BUILTIN_ENVIRONMENTS:
        return None
    if spec.environment_key is None:
        raise OverlayMissing(f"The environment overlay {name!r} no longer exists")
    return load_stored_environment(store, spec.environment_key, workdir)


def _render_settings(
    settings: dict[str, Any],
    *,
    preview: bool,
    transparent: bool,
    bg_image: np.ndarray | None = None,
    environment: Any = None,
) -> Any:
    from renderer import settings_from_dxgl

    render_settings = settings_from_dxgl(
        settings,
        quality=str(settings.get("quality", "share")),
        bg_image=bg_image,
        environment=environment,
    )
    if preview:
        render_settings = replace(
            render_settings,
            width=render_settings.width // PREVIEW_SCALE,
            height=render_settings.height // PREVIEW_SCALE,
        )
    if transparent:
        render_settings = replace(render_settings, transparent=True)
    return render_settings


def _encode(
    frames: Iterable[Any],
    settings: dict[str, Any],
    out_dir: Path,
    *,
    total: int,
    backdrop: np.ndarray | None = None,
    on_poster: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    h264_encoder: H264Choice = "auto",
) -> dict[str, Any]:
    from encoders import encode_render

    return encode_render(
        frames,
        out_dir,
        quality=str(settings.get("quality", "share")),
        bg_color=hex_to_rgb(str(settings.get("bgColor", "#ffffff"))),
        bg_image=backdrop,
        total_frames=total,
        on_poster=on_poster,
        progress=progress,
        h264_encoder=h264_encoder,
    )


def _backdrop(render_settings: Any) -> np.ndarray | None:
    """What the encoders lay under transparent frames when the render has a background
    image (with a plain colour they lay ``bgColor`` themselves): the cropped image with the
    vignette, exactly what an opaque render draws behind the model itself."""
    if render_settings.bg_image is None or not render_settings.transparent:
        return None
    from renderer.background import backdrop_pixels

    return backdrop_pixels(render_settings)[..., :3]


def render_and_encode(
    scene: Any,
    settings: dict[str, Any],
    out_dir: Path,
    *,
    bg_image: np.ndarray | None = None,
    environment: Any = None,
    preview: bool = False,
    on_poster: Callable[[dict[str, Any]], None] | None = None,
    on_rendered: Callable[[], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timings: dict[str, float] | None = None,
    h264_encoder: H264Choice = "auto",
) -> dict[str, Any]:
    """Render a dx.gl render's frames and encode every output file into ``out_dir``.

    Frames stream from the renderer into the encoders: a long video never sits in memory.
    Shared by the worker pipeline and the local ``meshfarm render`` command.
    """
    from renderer import Renderer

    clock = timings if timings is not None else {}
    started = time.monotonic()
    render_settings = _render_settings(
        settings, preview=preview, transparent=False, bg_image=bg_image, environment=environment
    )
    with Renderer(render_settings) as renderer:
        files = _encode(
            _timed(renderer.frames(scene), clock, on_rendered),
            settings,
            out_dir,
            total=renderer.frame_count,
            backdrop=_backdrop(render_settings),
            on_poster=on_poster,
            progress=progress,
            h264_encoder=h264_encoder,
        )
    clock["encode"] = max(0.0, time.monotonic() - started - clock.get("render", 0.0))
    return files


def _timed(
    frames: Iterator[Any], clock: dict[str, float], on_rendered: Callable[[], None] | None = None
) -> Iterator[Any]:
    """Pass frames through, adding the time spent producing them to ``clock["render"]``;
    ``on_rendered`` is called once the last frame has been produced."""
    clock["render"] = 0.0
    while True:
        started = time.monotonic()
        try:
            frame = next(frames)
        except StopIteration:
            clock["render"] += time.monotonic() - started
            if on_rendered is not None:
                on_rendered()
            return
        clock["render"] += time.monotonic() - started
        yield frame


def _poster_handler(job: _Job) -> Callable[[dict[str, Any]], None]:
    def on_poster(files: dict[str, Any]) -> None:
        assets = {
            name: job.upload(name, f.path, f.content_type)
            for name, f in files.items()
            if name in ("poster", "poster_full")
        }
        job.event("status", status="poster-done", assets=assets)

    return on_poster


def _encoding(*jobs: _Job) -> Callable[[], None]:
    """The frames are all rendered: what is left is the encoders' work and the uploads."""

    def on_rendered() -> None:
        for job in jobs:
            job.event("status", status="video-processing")

    return on_rendered


def _publish(job: _Job, files: dict[str, Any]) -> None:
    assets = {
        name: job.upload(name, f.path, f.content_type)
        for name, f in files.items()
        if name in ("video", "web", "thumb")
    }
    job.event(
        "done",
        assets=assets,
        file_size=assets["video"].size,
        has_web_variant="web" in assets,
        timings=job.timings,
    )


def _render_video(
    job: _Job, scene: Any, workdir: Path, bg_image: np.ndarray | None, environment: Any
) -> None:
    job.event("status", status="poster-processing")
    files = render_and_encode(
        scene,
        job.spec.settings,
        workdir / "out",
        bg_image=bg_image,
        environment=environment,
        preview=job.spec.kind == "preview",
        on_poster=_poster_handler(job),
        on_rendered=_encoding(job),
        timings=job.timings,
        h264_encoder=job.h264_encoder,
    )
    _publish(job, files)


def _render_shared(
    jobs: list[_Job], scene: Any, workdir: Path, bg_image: np.ndarray | None, environment: Any
) -> None:
    """Renders whose frames are identical (a same-model batch): render once, encode each.

    The broker groups only renders with the same path, length, animation, aspect, pixel
    size and vignette; they may differ in tier/codec and background colour, so the frames
    are rendered transparent and each encoder lays its own background under them. A
    background image is part of the frame key (one image per group); ``bgColor`` is
    ignored beside it.
    """
    from renderer import Renderer

    first = jobs[0].spec.settings
    colours = {j.spec.settings.get("bgImageId") or j.spec.settings.get("bgColor") for j in jobs}
    transparent = len(colours) > 1 or any(j.spec.settings.get("quality") == "pro" for j in jobs)
    render_settings = _render_settings(
        first, preview=False, transparent=transparent, bg_image=bg_image, environment=environment
    )
    backdrop = _backdrop(render_settings)
    for job in jobs:
        job.event("status", status="poster-processing")
    clock: dict[str, float] = {}
    started = time.monotonic()
    with Renderer(render_settings) as renderer:
        total = renderer.frame_count

        def consumer(job: _Job, index: int) -> Callable[[Iterator[Any]], dict[str, Any]]:
            return lambda frames: _encode(
                frames,
                job.spec.settings,
                workdir / f"out-{index}",
                total=total,
                backdrop=backdrop,
                on_poster=_poster_handler(job),
                h264_encoder=job.h264_encoder,
            )

        outcomes = tee(
            _timed(renderer.frames(scene), clock, _encoding(*jobs)),
            [consumer(job, i) for i, job in enumerate(jobs)],
        )
    encode = max(0.0, time.monotonic() - started - clock.get("render", 0.0))
    for job, outcome in zip(jobs, outcomes, strict=True):
        job.timings.update(render=clock.get("render", 0.0) / len(jobs), encode=encode)
        if isinstance(outcome, BaseException):
            _report_failure(job, outcome)
        else:
            _publish(job, outcome)


def _build_dataset(job: _Job, model_path: Path, workdir: Path) -> None:
    """Dataset export: the views are rendered and packed into one ZIP, the render's bundle."""
    from workers.local_dataset import build_dataset_zip

    settings = job.spec.settings
    job.event("status", status="poster-processing")
    started = time.monotonic()
    out = workdir / "dataset.zip"
    build_dataset_zip(
        model_path,
        out,
        quality=str(settings.get("datasetQuality", "100x800")),
        coverage=str(settings.get("coverage", "hemisphere")),
    )
    job.timings["render"] = time.monotonic() - started
    asset = job.upload("dataset", out, "application/zip")
    job.event("done", assets={"dataset": asset}, file_size=asset.size, timings=job.timings)


def user_errors() -> tuple[type[Exception], ...]:
    """Failures caused by the model or its settings: their message is for the user."""
    from encoders import EncodeError
    from renderer.errors import SceneError

    return (SceneError, EncodeError, OverlayMissing)


def _report_failure(job: _Job, exc: BaseException) -> None:
    if isinstance(exc, user_errors()):
        job.event("error", message=str(exc))
    else:
        log.error("job %s failed", job.spec.job_id, exc_info=exc)
        job.event("error", message=f"Internal error while rendering ({type(exc).__name__})")


def run_job(spec: JobSpec, store: ObjectStore, settings: Settings, emit: Emit) -> None:
    """Run one job (or one group of jobs sharing frames), reporting through ``emit``;
    every failure becomes an ``error`` event for each job it touched."""
    jobs = [_Job(s, store, emit, settings.h264_encoder) for s in (spec, *spec.variants)]
    with tempfile.TemporaryDirectory(prefix="job-", dir=settings.tmp_dir) as tmp:
        workdir = Path(tmp)
        try:

            def download() -> Path:
                started = time.monotonic()
                path = store.download(spec.model_key, workdir / f"model.{spec.model_format}")
                jobs[0].timings["download"] = time.monotonic() - started
                return path

            if spec.kind == "dataset":
                _build_dataset(jobs[0], download(), workdir)
                return
            bg_image = load_background(spec, store, workdir)
            environment = load_environment(spec, store, workdir)
            scene = scene_cache.load(spec.model_key, download)
            if len(jobs) > 1:
                _render_shared(jobs, scene, workdir, bg_image, environment)
            else:
                _render_video(jobs[0], scene, workdir, bg_image, environment)
        except Exception as exc:
            for job in jobs:
                if not job.finished:
                    _report_failure(job, exc)

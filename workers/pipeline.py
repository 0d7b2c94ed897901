"""One render job, start to finish: model → frames → encoded files → object store.

Status events follow dx.gl's flow: poster-processing when frames start, poster-done as soon
as the first frame's posters are uploaded (they are downloadable while the video encodes),
video-processing, then done with every asset's key. A bad model ends in an ``error`` event
with a human message; the worker process itself never dies from one.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from workers.config import Settings
from workers.jobs import Asset, EventKind, JobEvent, JobSpec
from workers.storage import ObjectStore

log = logging.getLogger("meshfarm.workers")
Emit = Callable[[JobEvent], None]
PREVIEW_SCALE = 2  # the free preview renders at half the share size: 480×270


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class _Job:
    """Event helpers bound to one spec."""

    def __init__(self, spec: JobSpec, store: ObjectStore, emit: Emit) -> None:
        self.spec = spec
        self.store = store
        self.emit = emit
        self.timings: dict[str, float] = {}

    def event(self, kind: EventKind, **fields: Any) -> None:
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


def render_and_encode(
    model_path: Path,
    settings: dict[str, Any],
    out_dir: Path,
    *,
    preview: bool = False,
    on_poster: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Render a dx.gl render's frames and encode every output file into ``out_dir``.

    Frames stream from the renderer into the encoders: a long video never sits in memory.
    Shared by the worker pipeline and the local ``meshfarm render`` command.
    """
    from encoders import encode_render
    from renderer import Renderer, load_scene, settings_from_dxgl

    quality = str(settings.get("quality", "share"))
    scene = load_scene(model_path)
    render_settings = settings_from_dxgl(settings, quality=quality)
    if preview:
        render_settings = replace(
            render_settings,
            width=render_settings.width // PREVIEW_SCALE,
            height=render_settings.height // PREVIEW_SCALE,
        )
    clock = timings if timings is not None else {}
    started = time.monotonic()
    with Renderer(render_settings) as renderer:
        files = encode_render(
            _timed(renderer.frames(scene), clock),
            out_dir,
            quality=quality,
            bg_color=hex_to_rgb(str(settings.get("bgColor", "#ffffff"))),
            total_frames=renderer.frame_count,
            on_poster=on_poster,
            progress=progress,
        )
    clock["encode"] = max(0.0, time.monotonic() - started - clock.get("render", 0.0))
    return files


def _timed(frames: Iterator[Any], clock: dict[str, float]) -> Iterator[Any]:
    """Pass frames through, adding the time spent producing them to ``clock["render"]``."""
    clock["render"] = 0.0
    while True:
        started = time.monotonic()
        try:
            frame = next(frames)
        except StopIteration:
            clock["render"] += time.monotonic() - started
            return
        clock["render"] += time.monotonic() - started
        yield frame


def _render_video(job: _Job, model_path: Path, workdir: Path) -> None:
    def on_poster(files: dict[str, Any]) -> None:
        assets = {
            name: job.upload(name, f.path, f.content_type)
            for name, f in files.items()
            if name in ("poster", "poster_full")
        }
        job.event("status", status="poster-done", assets=assets)
        job.event("status", status="video-processing")

    job.event("status", status="poster-processing")
    files = render_and_encode(
        model_path,
        job.spec.settings,
        workdir / "out",
        preview=job.spec.kind == "preview",
        on_poster=on_poster,
        timings=job.timings,
    )
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


def run_job(spec: JobSpec, store: ObjectStore, settings: Settings, emit: Emit) -> None:
    """Run one job, reporting through ``emit``; every failure becomes an ``error`` event."""
    from encoders.errors import EncodeError
    from renderer.errors import SceneError

    job = _Job(spec, store, emit)
    with tempfile.TemporaryDirectory(prefix="job-", dir=settings.tmp_dir) as tmp:
        workdir = Path(tmp)
        try:
            started = time.monotonic()
            model_path = store.download(spec.model_key, workdir / f"model.{spec.model_format}")
            job.timings["download"] = time.monotonic() - started
            _render_video(job, model_path, workdir)
        except (SceneError, EncodeError) as exc:
            job.event("error", message=str(exc))
        except Exception as exc:
            log.exception("job %s failed", spec.job_id)
            job.event("error", message=f"Internal error while rendering ({type(exc).__name__})")

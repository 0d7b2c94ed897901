"""A video render, start to finish: scene → frames → encoded files → object store.

Progress follows dx.gl's flow: ``poster-processing`` when frames start, ``poster-done``
as soon as the first frame's posters are uploaded (downloadable while the frames are
rendered and encoded), ``video-processing`` once the last frame is rendered (the
encoders finish and the files are uploaded), then ``done`` with every asset. Between the
phases, the share of the frames every encoder has taken is reported (``JobRun.frames``):
most of a render's time is spent there, and a bar must move while it passes.

Same-model renders whose frames are identical come as one assignment with variants:
the frames are rendered once and fed to every render's encoders (:mod:`workers.tee`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from encoders import EncodedFile, H264Choice, encode_render
from exchange.limits import AssetLimits
from renderer import Environment, Renderer, RenderSettings, Scene
from renderer.background import backdrop_pixels
from workers import scene_cache
from workers.catalogue import VIDEO_TIERS
from workers.config import Settings
from workers.job_events import JobRun
from workers.job_inputs import fetch_model, load_background, load_environment, model_input
from workers.render_settings import parse_hex_color, render_settings
from workers.specs import RenderSpec
from workers.tee import tee

Files = dict[str, EncodedFile]
PosterCallback = Callable[[Files], None]
Progress = Callable[[int, int | None], None]


def _encode(
    frames: Iterable[np.ndarray],
    spec: RenderSpec,
    out_dir: Path,
    *,
    total: int,
    h264_encoder: H264Choice,
    backdrop: np.ndarray | None = None,
    on_poster: PosterCallback | None = None,
    progress: Progress | None = None,
) -> Files:
    return encode_render(
        frames,
        out_dir,
        main_codec=VIDEO_TIERS[spec.tier].main_codec,
        bg_color=parse_hex_color(spec.bg_color),
        bg_image=backdrop,
        total_frames=total,
        on_poster=on_poster,
        progress=progress,
        h264_encoder=h264_encoder,
    )


def _backdrop(settings: RenderSettings) -> np.ndarray | None:
    """What the encoders lay under transparent frames when the render has a background
    image (with a plain colour they lay ``bg_color`` themselves): the cropped image with
    the vignette, exactly what an opaque render draws behind the model itself."""
    if settings.bg_image is None or not settings.transparent:
        return None
    return backdrop_pixels(settings)[..., :3]


def _timed(
    frames: Iterator[np.ndarray], clock: dict[str, float], on_rendered: Callable[[], None]
) -> Iterator[np.ndarray]:
    """Pass frames through, adding the time spent producing them to ``clock["render"]``;
    ``on_rendered`` is called once the last frame has been produced."""
    clock["render"] = 0.0
    while True:
        started = time.monotonic()
        try:
            frame = next(frames)
        except StopIteration:
            clock["render"] += time.monotonic() - started
            on_rendered()
            return
        clock["render"] += time.monotonic() - started
        yield frame


def render_and_encode(
    scene: Scene,
    spec: RenderSpec,
    out_dir: Path,
    *,
    bg_image: np.ndarray | None = None,
    environment: Environment | None = None,
    on_poster: PosterCallback | None = None,
    on_rendered: Callable[[], None] = lambda: None,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
    h264_encoder: H264Choice = "auto",
) -> Files:
    """Render ``spec``'s frames and encode every output file into ``out_dir``.

    ``bg_image`` / ``environment`` are the spec's overlays, loaded. Frames stream from
    the renderer into the encoders: a long video never sits in memory. ``timings`` gets
    ``render`` and ``encode`` (the encoders' time beyond the rendering) in seconds.
    Shared by the worker and the local ``meshfarm render`` command.
    """
    clock = timings if timings is not None else {}
    started = time.monotonic()
    settings = render_settings(spec, bg_image=bg_image, environment=environment)
    with Renderer(settings) as renderer:
        files = _encode(
            _timed(renderer.frames(scene), clock, on_rendered),
            spec,
            out_dir,
            total=renderer.frame_count,
            h264_encoder=h264_encoder,
            backdrop=_backdrop(settings),
            on_poster=on_poster,
            progress=progress,
        )
    clock["encode"] = max(0.0, time.monotonic() - started - clock.get("render", 0.0))
    return files


def _spec(run: JobRun) -> RenderSpec:
    spec = run.assignment.spec
    assert isinstance(spec, RenderSpec), spec.kind
    return spec


def _poster_handler(run: JobRun) -> PosterCallback:
    def on_poster(files: Files) -> None:
        assets = {
            name: run.upload(f.path, f.content_type)
            for name, f in files.items()
            if name in ("poster", "poster_full")
        }
        run.progress("poster-done", assets)

    return on_poster


def _encoding(*runs: JobRun) -> Callable[[], None]:
    """The frames are all rendered: what is left is the encoders' work and the uploads."""

    def on_rendered() -> None:
        for run in runs:
            run.progress("video-processing")

    return on_rendered


def _publish(run: JobRun, files: Files) -> None:
    assets = {
        name: run.upload(f.path, f.content_type)
        for name, f in files.items()
        if name in ("video", "web", "thumb")
    }
    run.done(assets, "video", has_web_variant="web" in assets, frames=files["video"].frames)


def _render_one(
    run: JobRun,
    scene: Scene,
    workdir: Path,
    settings: Settings,
    bg_image: np.ndarray | None,
    environment: Environment | None,
) -> None:
    run.progress("poster-processing")
    files = render_and_encode(
        scene,
        _spec(run),
        workdir / "out",
        bg_image=bg_image,
        environment=environment,
        on_poster=_poster_handler(run),
        on_rendered=_encoding(run),
        progress=run.frames,
        timings=run.timings,
        h264_encoder=settings.h264_encoder,
    )
    _publish(run, files)


def _render_shared(
    runs: list[JobRun],
    scene: Scene,
    workdir: Path,
    settings: Settings,
    bg_image: np.ndarray | None,
    environment: Environment | None,
) -> None:
    """Renders whose frames are identical (a same-model batch): render once, encode each.

    The broker groups only renders with the same path, length, animation, aspect, pixel
    size and vignette; they may differ in tier/codec and background colour, so the frames
    are rendered transparent and each encoder lays its own background under them. A
    background image is part of the frame key (one image per group); ``bg_color`` is
    ignored beside it. Variants with the same codec and background would encode the same
    files: they are encoded once and uploaded for each.
    """
    specs = [_spec(run) for run in runs]
    backgrounds = {spec.bg_image_id or spec.bg_color for spec in specs}
    transparent = len(backgrounds) > 1 or any(VIDEO_TIERS[s.tier].transparent for s in specs)
    frames = render_settings(
        specs[0], bg_image=bg_image, environment=environment, transparent=transparent
    )
    backdrop = _backdrop(frames)
    for run in runs:
        run.progress("poster-processing")
    clock: dict[str, float] = {}
    started = time.monotonic()
    # variants whose files would be identical (same codec, same background) share one
    # encode: each of them uploads the same files
    groups: dict[tuple[str, tuple[int, int, int]], list[int]] = {}
    for index, spec in enumerate(specs):
        key = (VIDEO_TIERS[spec.tier].main_codec, parse_hex_color(spec.bg_color))
        groups.setdefault(key, []).append(index)
    members = list(groups.values())
    with Renderer(frames) as renderer:
        total = renderer.frame_count

        def consumer(index: int, group: list[int]) -> Callable[[Iterator[np.ndarray]], Files]:
            posters = [_poster_handler(runs[i]) for i in group]

            def on_poster(files: Files) -> None:
                for handler in posters:
                    handler(files)

            def progress(done: int, of: int | None) -> None:
                for i in group:
                    runs[i].frames(done, of)

            return lambda stream: _encode(
                stream,
                specs[group[0]],
                workdir / f"out-{index}",
                total=total,
                h264_encoder=settings.h264_encoder,
                backdrop=backdrop,
                on_poster=on_poster,
                progress=progress,
            )

        outcomes = tee(
            _timed(renderer.frames(scene), clock, _encoding(*runs)),
            [consumer(i, group) for i, group in enumerate(members)],
        )
    encode = max(0.0, time.monotonic() - started - clock.get("render", 0.0))
    for group, outcome in zip(members, outcomes, strict=True):
        for i in group:
            run = runs[i]
            run.timings.update(render=clock.get("render", 0.0) / len(runs), encode=encode)
            if isinstance(outcome, BaseException):
                run.fail(outcome)
            else:
                _publish(run, outcome)


def run_render(runs: list[JobRun], workdir: Path, settings: Settings) -> None:
    """A render and its variants: the overlays are checked before the model is fetched."""
    main = runs[0]
    spec, inputs, store = _spec(main), main.assignment.inputs, main.store
    bg_image = load_background(spec, inputs, store, workdir)
    environment = load_environment(spec, inputs, store, workdir)
    model = model_input(inputs)
    limits = AssetLimits.from_settings(settings)
    started = time.monotonic()
    scene = scene_cache.load(
        model.key, lambda: fetch_model(model, store, workdir, main.timings), limits
    )
    main.timings["load"] = time.monotonic() - started  # download included; 0 when cached
    if len(runs) > 1:
        _render_shared(runs, scene, workdir, settings, bg_image, environment)
    else:
        _render_one(main, scene, workdir, settings, bg_image, environment)

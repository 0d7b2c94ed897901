"""One stream of frames → every output of a render, encoded in parallel.

Each video encoder runs in its own thread behind a small bounded queue. PyAV drops the GIL
inside swscale, libx264 and prores_ks, so the encoders overlap each other and the renderer
that produces the frames, while memory stays at a few frames per output whatever the
length of the video. The posters are written from the first frame before any video starts
so that the pipeline can publish them early (``on_poster``).
"""

from __future__ import annotations

import enum
import queue
import threading
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from encoders.compose import Background, check_frame, over_background
from encoders.errors import EncodeError, EncoderFailed, FrameError
from encoders.images import write_posters
from encoders.specs import FPS, EncodedFile, MainCodec, VideoSpec, video_specs
from encoders.video import H264Choice, VideoWriter, converted, downscaled

QUEUE_FRAMES = 3
"""Frames waiting per encoder: enough to absorb jitter between renderer and encoders; at
4K that is ≈100 MB per output at most (composited and converted frames are shared)."""

Progress = Callable[[int, int | None], None]
PosterCallback = Callable[[dict[str, EncodedFile]], None]


class _Signal(enum.Enum):
    END = "finish the file"
    ABORT = "discard the file"


class _Frame:
    """One frame as each output wants it: raw or over bgColor, converted for its encoder.

    Everything is made at most once, lazily, by the first encoder thread that needs it, so
    the feeding thread — which is also the renderer's — only checks and queues; numpy and
    swscale drop the GIL, so this runs in parallel. Outputs of one size and pixel format
    (a share render's main video and web variant) encode the same converted frame, and a
    smaller YUV output (the thumbnail) is scaled from the full-size YUV frame rather than
    converted from RGB again.
    """

    __slots__ = ("_bg", "_composed", "_converted", "_lock", "index", "raw")

    def __init__(self, raw: np.ndarray, bg: Background, index: int) -> None:
        self.raw = raw
        self.index = index
        self._bg = bg
        self._composed: np.ndarray | None = None
        self._converted: dict[tuple[bool, int, int, str], av.VideoFrame] = {}
        self._lock = threading.Lock()

    def _composed_locked(self) -> np.ndarray:
        if self._composed is None:
            self._composed = over_background(self.raw, self._bg)
        return self._composed

    def for_output(self, spec: VideoSpec) -> av.VideoFrame:
        with self._lock:
            return self._converted_locked(spec.composite, spec.width, spec.height, spec.pix_fmt)

    def _converted_locked(
        self, composite: bool, width: int, height: int, fmt: str
    ) -> av.VideoFrame:
        key = (composite, width, height, fmt)
        if key in self._converted:
            return self._converted[key]
        full_height, full_width = self.raw.shape[:2]
        if fmt == "yuv420p" and (width, height) != (full_width, full_height):
            frame = downscaled(
                self._converted_locked(composite, full_width, full_height, fmt), width, height
            )
        else:
            pixels = self._composed_locked() if composite else self.raw
            frame = converted(pixels, width, height, fmt)
        frame.pts = self.index
        frame.time_base = Fraction(1, FPS)
        self._converted[key] = frame
        return frame


class _EncoderThread:
    """A VideoWriter fed through a bounded queue by the caller's thread."""

    def __init__(self, writer: VideoWriter) -> None:
        self.writer = writer
        self.queue: queue.Queue[_Frame | _Signal] = queue.Queue(QUEUE_FRAMES)
        self.error: BaseException | None = None
        self.result: EncodedFile | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"encode-{writer.spec.name}", daemon=True
        )
        self.thread.start()

    @property
    def name(self) -> str:
        return self.writer.spec.name

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is _Signal.ABORT:
                    self.writer.abort()
                    return
                if item is _Signal.END:
                    self.result = self.writer.close()
                    return
                self.writer.write_frame(item.for_output(self.writer.spec))
        except BaseException as exc:
            self.error = exc
            self.writer.abort()
            while self.queue.get() not in (_Signal.END, _Signal.ABORT):
                pass  # keep draining so the feeder never blocks on a full queue

    def raise_if_failed(self) -> None:
        if self.error is None:
            return
        if isinstance(self.error, EncodeError):
            raise self.error
        raise EncoderFailed(self.name, repr(self.error)) from self.error

    def finish(self) -> EncodedFile:
        self.queue.put(_Signal.END)
        self.thread.join()
        self.raise_if_failed()
        assert self.result is not None
        return self.result

    def abort(self) -> None:
        """Stop and delete this output, finished or not."""
        self.queue.put(_Signal.ABORT)
        self.thread.join()
        self.writer.abort()
        if self.result is not None:  # finished before another output failed: not a whole render
            self.result.path.unlink(missing_ok=True)


class FanOut:
    """Feeds each frame to every video output; ``done`` is what the slowest one has encoded."""

    def __init__(self, specs: list[VideoSpec], out_dir: Path, h264: H264Choice = "auto") -> None:
        self.threads: list[_EncoderThread] = []
        try:
            for spec in specs:
                writer = VideoWriter(spec, out_dir / spec.filename, h264)
                self.threads.append(_EncoderThread(writer))
        except BaseException:
            self.abort()
            raise

    @property
    def done(self) -> int:
        return min(t.writer.frames for t in self.threads)

    def feed(self, frame: _Frame) -> None:
        for t in self.threads:
            t.raise_if_failed()  # fail fast instead of feeding a whole render to a dead encoder
            t.queue.put(frame)

    def finish(self) -> dict[str, EncodedFile]:
        return {t.name: t.finish() for t in self.threads}

    def abort(self) -> None:
        for t in self.threads:
            t.abort()


def encode_render(
    frames: Iterable[np.ndarray],
    out_dir: Path,
    *,
    main_codec: MainCodec,
    bg_color: tuple[int, int, int],
    bg_image: np.ndarray | None = None,
    total_frames: int | None = None,
    progress: Progress | None = None,
    on_poster: PosterCallback | None = None,
    h264_encoder: H264Choice = "auto",
) -> dict[str, EncodedFile]:
    """Encode ``frames`` (H×W×4 uint8, straight alpha, even sides) into every output of a render.

    Returns ``video`` (``video.mp4`` for ``main_codec`` ``h264``, or ``video.mov`` ProRes
    4444 with alpha for ``prores4444``),
    ``web`` (``web.mp4``), ``thumb`` (``thumb.mp4``), ``poster`` (``poster.png``, long side
    ≤ 480) and ``poster_full`` (``poster_full.png``). ``bg_color`` — or ``bg_image``, an
    H×W×3 uint8 backdrop the size of the frames, when given — is laid under every output
    except the ProRes video. ``on_poster`` is called, on this thread, with the two posters
    as soon as they exist, before any video frame is encoded. ``progress(done, total)``
    reports frames that every encoder has taken, never decreasing, last with all frames.
    ``h264_encoder`` picks the H.264 encoder: ``auto`` (h264_nvenc where it really opens,
    else libx264), ``libx264`` or ``h264_nvenc`` (an error where it does not open).

    Frames must not be modified after they are yielded (the encoders read them later).
    Errors raise an EncodeError (errors raised by ``frames`` itself propagate unchanged)
    and leave no file of this render under a final name in ``out_dir``.
    """
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise FrameError("the renderer produced no frames")
    shape = check_frame(first, None)
    specs = video_specs(main_codec, shape[1], shape[0])
    backdrop: Background = bg_color
    if bg_image is not None:
        if bg_image.shape != (shape[0], shape[1], 3) or bg_image.dtype != np.uint8:
            raise FrameError(
                f"bg_image must be {shape[0]}×{shape[1]}×3 uint8, got {bg_image.shape}"
            )
        backdrop = bg_image
    out_dir.mkdir(parents=True, exist_ok=True)
    posters: dict[str, EncodedFile] = {}
    fanout: FanOut | None = None
    try:
        posters = write_posters(over_background(first, backdrop), out_dir)
        if on_poster is not None:
            on_poster(dict(posters))
        fanout = FanOut(specs, out_dir, h264_encoder)
        count, reported = 0, 0
        frame: np.ndarray | None = first
        while frame is not None:
            if count:
                check_frame(frame, shape)
            fanout.feed(_Frame(frame, backdrop, count))
            count += 1
            if progress is not None and (done := fanout.done) > reported:
                progress(done, total_frames)
                reported = done
            frame = next(iterator, None)
        videos = fanout.finish()
        if progress is not None and count > reported:
            progress(count, total_frames)
    except BaseException:
        if fanout is not None:
            fanout.abort()
        for poster in posters.values():
            poster.path.unlink(missing_ok=True)
        raise
    return {**videos, **posters}

"""One stream of frames → every output of a render, encoded in parallel.

Each encoder runs in its own thread behind a small bounded queue (PyAV releases the GIL
while libx264 / prores_ks work), so the encoders overlap each other and the renderer
while memory stays at a few frames whatever the video length. The posters are written
from the first frame before anything else, so they can be published early.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from encoders.compose import check_frame, over_background
from encoders.errors import EncodeError
from encoders.images import write_posters
from encoders.specs import EncodedFile, VideoSpec, video_specs
from encoders.video import VideoWriter

QUEUE_FRAMES = 4
ABORT = np.empty(0, np.uint8)
"""Put on a queue to stop its encoder and discard its file (None finishes it normally)."""
Progress = Callable[[int, int | None], None]
PosterCallback = Callable[[dict[str, EncodedFile]], None]


class _EncoderThread:
    def __init__(self, writer: VideoWriter) -> None:
        self.writer = writer
        self.frames: queue.Queue[np.ndarray | None] = queue.Queue(QUEUE_FRAMES)
        self.error: BaseException | None = None
        self.result: EncodedFile | None = None
        self.thread = threading.Thread(target=self._run, name=f"encode-{writer.spec.name}")
        self.thread.start()

    def _run(self) -> None:
        try:
            while (frame := self.frames.get()) is not None:
                if frame is ABORT:
                    self.writer.abort()
                    return
                self.writer.write(frame)
            self.result = self.writer.close()
        except BaseException as exc:
            self.error = exc
            self.writer.abort()
            while (item := self.frames.get()) is not None and item is not ABORT:
                pass  # keep draining so the feeder never blocks

    def put(self, frame: np.ndarray | None) -> None:
        self.frames.put(frame)

    def finish(self) -> EncodedFile:
        self.put(None)
        self.thread.join()
        if self.error is not None or self.result is None:
            raise EncodeError(f"{self.writer.spec.name} encoding failed: {self.error}")
        return self.result


def _start(specs: list[VideoSpec], out_dir: Path) -> list[_EncoderThread]:
    threads: list[_EncoderThread] = []
    try:
        for spec in specs:
            threads.append(_EncoderThread(VideoWriter(spec, out_dir / spec.filename)))
    except BaseException:
        _abort(threads)
        raise
    return threads


def _abort(threads: list[_EncoderThread]) -> None:
    for t in threads:
        t.put(ABORT)
    for t in threads:
        t.thread.join()
        t.writer.abort()
        if t.result is not None:  # finished before another encoder failed: not a whole render
            t.result.path.unlink(missing_ok=True)


def encode_render(
    frames: Iterable[np.ndarray],
    out_dir: Path,
    *,
    quality: str,
    bg_color: tuple[int, int, int],
    total_frames: int | None = None,
    progress: Progress | None = None,
    on_poster: PosterCallback | None = None,
) -> dict[str, EncodedFile]:
    """Encode ``frames`` (H×W×4 uint8, straight alpha) into every output of a render.

    Returns ``video`` (MP4, or ProRes 4444 MOV with alpha for ``pro``), ``web``, ``thumb``,
    ``poster`` (long side ≤ 480) and ``poster_full``. ``bg_color`` is laid under every
    output except the ProRes video. ``on_poster`` is called with the posters as soon as
    they exist. Errors raise EncodeError (errors from ``frames`` propagate unchanged) and
    leave no file under a final name.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise EncodeError("the renderer produced no frames")
    shape = check_frame(first, None)
    posters = write_posters(over_background(first, bg_color), out_dir)
    if on_poster is not None:
        on_poster(posters)
    specs = video_specs(quality, shape[1], shape[0])
    threads = _start(specs, out_dir)
    count = 0
    try:
        frame: np.ndarray | None = first
        while frame is not None:
            if count:
                check_frame(frame, shape)
            composed = over_background(frame, bg_color)
            for spec, thread in zip(specs, threads, strict=True):
                if thread.error is not None:
                    raise EncodeError(f"{spec.name} encoding failed: {thread.error}")
                thread.put(composed if spec.composite else frame)
            count += 1
            if progress is not None:
                progress(count, total_frames)
            frame = next(iterator, None)
        results = {spec.name: thread.finish() for spec, thread in zip(specs, threads, strict=True)}
    except BaseException:
        _abort(threads)
        raise
    return {**results, **posters}

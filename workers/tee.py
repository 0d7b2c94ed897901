"""One frame stream, several consumers: the frames of a same-model batch are rendered once.

Each consumer (a whole ``encode_render`` with its own encoders) runs in its own thread
behind a small bounded queue; the producer hands every frame to every queue. A consumer
that fails keeps draining its queue so the others and the producer never block.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")
QUEUE_FRAMES = 4


class _Consumer(Generic[T]):
    def __init__(self, work: Callable[[Iterator[np.ndarray]], T]) -> None:
        self.frames: queue.Queue[np.ndarray | None] = queue.Queue(QUEUE_FRAMES)
        self.result: T | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), name="tee")
        self.thread.start()

    def _stream(self) -> Iterator[np.ndarray]:
        while (frame := self.frames.get()) is not None:
            yield frame

    def _run(self, work: Callable[[Iterator[np.ndarray]], T]) -> None:
        stream = self._stream()
        try:
            self.result = work(stream)
        except BaseException as exc:
            self.error = exc
        for _ in stream:  # drain whatever the consumer left, up to the end marker
            pass


def tee(
    frames: Iterable[np.ndarray], consumers: list[Callable[[Iterator[np.ndarray]], T]]
) -> list[T | BaseException]:
    """Feed every frame to every consumer; each one's result, or the exception it raised."""
    running = [_Consumer(work) for work in consumers]
    try:
        for frame in frames:
            frame.flags.writeable = False  # shared between consumers: nobody may modify it
            for consumer in running:
                consumer.frames.put(frame)
    finally:
        for consumer in running:
            consumer.frames.put(None)
        for consumer in running:
            consumer.thread.join()
    return [c.error if c.error is not None else c.result for c in running]  # type: ignore[misc]

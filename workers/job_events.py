"""One assignment being executed: the events it reports, its uploads, how a failure is told.

Every event carries the attempt's lease version, so the broker can ignore an attempt that
lost its lease. A job ends with exactly one ``done`` or ``error`` event; a failure the
user caused (a bad model, a deleted overlay) is an ``error`` with its message, anything
else is logged here and reported without internals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from encoders import EncodeError
from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from renderer import InvalidSettings, ModelTooLarge, RenderTimeout, SceneError, UnsupportedModel
from workers.job_inputs import InputMissing
from workers.jobs import Asset, Assignment, EventKind, FailureCause, JobEvent, Phase
from workers.storage import ObjectStore

log = logging.getLogger("meshfarm.workers")
Emit = Callable[[JobEvent], None]

FRAMES_EVERY_S = 0.5
FRAMES_EVERY_FRACTION = 0.05
"""A frames report goes out when this long or this share of the frames has passed since
the last one: often enough for a smooth bar, rarely enough not to flood the broker."""


USER_ERRORS: tuple[type[Exception], ...] = (SceneError, EncodeError, InputMissing, AssetInvalid)
"""Failures caused by the model, its settings or its inputs: the message is for the user."""


CAUSES: tuple[tuple[type[Exception], FailureCause], ...] = (
    (UnsupportedModel, "unsupported_model"),
    (AssetUnsupported, "unsupported_model"),
    (ModelTooLarge, "too_large"),
    (AssetTooLarge, "too_large"),
    (InvalidSettings, "invalid_settings"),
    (RenderTimeout, "timeout"),
    (SceneError, "invalid_model"),
    (AssetInvalid, "invalid_model"),
    (EncodeError, "encode_failed"),
    (InputMissing, "input_missing"),
)
"""A failure's cause by exception class, the most specific first (anything else: internal)."""


def cause_of(exc: BaseException) -> FailureCause:
    return next((cause for kind, cause in CAUSES if isinstance(exc, kind)), "internal")


DOING = {"convert": "converting", "simready": "building", "simulate": "simulating"}
"""How an internal error names what the job was doing (renders and datasets: rendering)."""


class JobRun:
    """Events and uploads of one assignment, and the seconds each stage took."""

    def __init__(self, assignment: Assignment, store: ObjectStore, emit: Emit) -> None:
        self.assignment = assignment
        self.store = store
        self.emit = emit
        self.timings: dict[str, float] = {}
        self.finished = False
        self._frames_sent: tuple[float, float] | None = None
        """(when, fraction) of the last frames report."""

    def event(self, kind: EventKind, **fields: Any) -> None:
        self.finished = self.finished or kind in ("done", "error")
        self.emit(
            JobEvent(
                job_id=self.assignment.job_id,
                lease_version=self.assignment.lease_version,
                kind=kind,
                **fields,
            )
        )

    def progress(self, phase: Phase, assets: dict[str, Asset] | None = None) -> None:
        self.event("progress", phase=phase, assets=assets or {})

    def frames(self, done: int, total: int | None) -> None:
        """``done`` of ``total`` frames are drawn: a ``progress`` event with the fraction,
        throttled (the last frame always reports, a repeat of the last fraction never)."""
        if not total:
            return
        fraction = min(1.0, done / total)
        at = time.monotonic()
        if self._frames_sent is not None:
            when, sent = self._frames_sent
            due = at - when >= FRAMES_EVERY_S or fraction - sent >= FRAMES_EVERY_FRACTION
            if fraction <= sent or (fraction < 1.0 and not due):
                return
        self._frames_sent = (at, fraction)
        self.event("progress", fraction=fraction)

    def done(self, assets: dict[str, Asset], main: str, **fields: Any) -> None:
        """The job's outputs are uploaded; ``main`` names the asset whose size is the job's
        ``file_size``."""
        self.event(
            "done", assets=assets, file_size=assets[main].size, timings=self.timings, **fields
        )

    def upload(self, path: Path, content_type: str, name: str | None = None) -> Asset:
        """Store an output under the attempt's prefix (the broker publishes it), as
        ``name`` (a relative path; default: the file's name)."""
        key = f"{self.assignment.output_prefix}/{name or path.name}"
        started = time.monotonic()
        size = self.store.put_file(key, path, content_type)
        self.timings["upload"] = self.timings.get("upload", 0.0) + time.monotonic() - started
        return Asset(key=key, content_type=content_type, size=size)

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, USER_ERRORS):
            self.event("error", message=str(exc), cause=cause_of(exc))
        else:
            log.error("job %s failed", self.assignment.job_id, exc_info=exc)
            doing = DOING.get(self.assignment.spec.kind, "rendering")
            message = f"Internal error while {doing} ({type(exc).__name__})"
            self.event("error", message=message, cause="internal")

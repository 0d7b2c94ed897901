"""What crosses the broker → worker boundary: an assignment in, progress events out.

Both are plain pydantic models so they travel through a multiprocessing queue or Ray
unchanged. An assignment is one attempt at one job: the job's typed spec, where its inputs
are in the object store now, and the lease version that fences stale attempts out. Outputs
are written under a per-attempt prefix; the broker publishes them only while the attempt's
lease still holds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from workers.resources import Resource
from workers.specs import JobSpec

EventKind = Literal["progress", "done", "error"]
RenderPhase = Literal["poster-processing", "poster-done", "video-processing"]
"""A render's progress: frames started, first posters uploaded, all frames rendered."""
SimReadyPhase = Literal[
    "preprocess",
    "physics",
    "collision_decompose",
    "usd",
    "mjcf",
    "validate",
    "export",
    "simulate",
    "encode",
]
"""A simulation-ready job's stages, in order (a simulation's are its last two)."""
Phase = RenderPhase | SimReadyPhase
FailureCause = Literal[
    "invalid_model",
    "unsupported_model",
    "too_large",
    "invalid_settings",
    "timeout",
    "encode_failed",
    "input_missing",
    "internal",
    "abandoned",
]
"""Why a job failed, in a word the broker can count (/metrics labels stay bounded; the
message is for the user). Workers name the first eight from the exception; the broker adds
``abandoned`` (interrupted on every attempt), and ``input_missing`` when an input is gone at
assignment."""


class Asset(BaseModel):
    key: str
    content_type: str
    size: int


class StoredInput(BaseModel):
    key: str
    format: str


class Assignment(BaseModel):
    job_id: str
    attempt: int
    lease_version: int
    output_prefix: str
    spec: JobSpec
    inputs: dict[str, StoredInput | None] = Field(default_factory=dict)
    """Object-store location of each input the spec names by id (``model``, ``bg_image``,
    ``environment``); None when that input was deleted after the job was accepted."""
    variants: list[Assignment] = Field(default_factory=list)
    """Other renders of the same model whose frames are identical: rendered once."""

    @property
    def resource(self) -> Resource:
        return self.spec.resource

    @property
    def job_ids(self) -> list[str]:
        return [self.job_id, *(v.job_id for v in self.variants)]


class JobEvent(BaseModel):
    """A progress report from a worker; ``lease_version`` fences stale attempts out."""

    job_id: str
    lease_version: int
    kind: EventKind
    phase: Phase | None = None
    assets: dict[str, Asset] = Field(default_factory=dict)
    file_size: int | None = None
    has_web_variant: bool = False
    message: str | None = None
    cause: FailureCause | None = None
    """An ``error`` event's cause."""
    fraction: float | None = None
    """A phase-less ``progress`` event's share of the frames drawn so far (0–1), sent while
    a render or dataset draws them: the phases alone say nothing between the first frame
    and the last."""
    frames: int | None = None
    """A ``done`` event's frames: a render's video frames, a dataset's views (for /metrics)."""
    timings: dict[str, float] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    """A kind's small JSON result, recorded by the broker with the outputs (a conversion's
    health report)."""

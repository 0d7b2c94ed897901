"""What crosses the broker → worker boundary: a job spec in, progress events out.

Both are plain pydantic models so they can travel through a multiprocessing queue or Ray
unchanged. Outputs are written under a per-attempt prefix; the broker publishes them (records
their keys on the render) only when the attempt's lease still holds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JobKind = Literal["render", "preview", "dataset"]
EventKind = Literal["status", "done", "error"]
ProgressStatus = Literal["poster-processing", "poster-done", "video-processing"]


class Asset(BaseModel):
    key: str
    content_type: str
    size: int


class JobSpec(BaseModel):
    job_id: str
    render_id: str
    kind: JobKind
    attempt: int
    lease_version: int
    model_key: str
    model_format: str
    settings: dict[str, Any]
    output_prefix: str
    bg_image_key: str | None = None
    """The object-store key of the ``bgImageId`` overlay; None when it no longer exists."""
    environment_key: str | None = None
    """The object-store key of an uploaded ``environment`` (None: built in, or deleted)."""
    variants: list[JobSpec] = Field(default_factory=list)
    """Other renders of the same model whose frames are identical: rendered once."""

    @property
    def job_ids(self) -> list[str]:
        return [self.job_id, *(v.job_id for v in self.variants)]


class JobEvent(BaseModel):
    """A status change reported by a worker; ``lease_version`` fences stale attempts out."""

    job_id: str
    render_id: str
    lease_version: int
    kind: EventKind
    status: ProgressStatus | None = None
    assets: dict[str, Asset] = Field(default_factory=dict)
    file_size: int | None = None
    has_web_variant: bool = False
    message: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)


def output_prefix(render_id: str, attempt: int) -> str:
    return f"renders/{render_id}/attempt-{attempt}"

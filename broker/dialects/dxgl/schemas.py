"""Response and request shapes of the v1 API, field names exactly as dx.gl spells them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from broker.dialects.dxgl.render_settings import Align
from workers.resources import Resource

T = TypeVar("T")


def iso(dt: datetime) -> str:
    """dx.gl's timestamp form, in UTC: 2026-02-15T20:00:00.000Z.

    PostgreSQL hands timestamptz back in the session's time zone and SQLite hands back
    naive values (stored as UTC), so aware values are converted before the ``Z``."""
    utc = dt.astimezone(UTC) if dt.tzinfo is not None else dt
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Timestamped(BaseModel):
    """dx.gl timestamps; subclasses declare ``createdAt`` (and ``updatedAt``) last, so the
    JSON reads in the documented order, ``id`` first."""

    @field_serializer("createdAt", "updatedAt", check_fields=False)
    def _iso(self, value: datetime) -> str:
        return iso(value)


class Data(BaseModel, Generic[T]):
    data: T


class Meta(BaseModel):
    total: int
    offset: int
    limit: int


class Page(BaseModel, Generic[T]):
    data: list[T]
    meta: Meta


class ErrorBody(BaseModel):
    code: str
    message: str
    status: int


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class AccountOut(BaseModel):
    id: str
    email: str
    credits: int
    isAdmin: bool


class HealthOut(BaseModel):
    status: str
    database: str
    storage: str


class UploadOut(BaseModel):
    modelId: str
    renderId: str
    duplicate: bool = False


class CheckHashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha256: str | None = None


class IngestIn(BaseModel):
    """Parsed loosely so that a missing url gets its own documented error code."""

    model_config = ConfigDict(extra="forbid")
    url: Any = None
    renderSettings: Any = None


class CheckHashOut(BaseModel):
    exists: bool
    modelId: str | None


class RenderSummary(Timestamped):
    id: str
    status: str
    renderSettings: dict[str, Any]
    is_system_preview: bool
    createdAt: datetime
    updatedAt: datetime


class ModelOut(Timestamped):
    id: str
    originalName: str
    title: str | None
    sku: str | None
    tags: list[str]
    fileSize: int
    sha256: str
    originalFormat: str | None = Field(
        description="meshfarm: the uploaded file's format (glb, gltf, zip, stl, ply, dae, ...); "
        "the upload as sent is GET /v1/models/:id/original"
    )
    archived: bool
    public: bool = Field(
        description="meshfarm extension: the model is served by the Thrixel API to anyone "
        "(/thrixel/api/v1/{modelId}/download); false: only to its owner's token"
    )
    createdAt: datetime


class ModelDetailOut(ModelOut):
    renders: list[RenderSummary]


class ModelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: str | None = Field(None, max_length=500)
    sku: str | None = Field(None, max_length=200)
    tags: list[str] | None = Field(None, max_length=20)
    public: bool | None = Field(
        None,
        description="meshfarm extension: true publishes the model through the Thrixel API "
        "(anyone with its id may download it), false makes it private again",
    )

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: list[str] | None) -> list[str] | None:
        if tags is None:
            return None
        cleaned: list[str] = []
        for tag in tags:
            t = tag.strip().lower()
            if not t or len(t) > 100:
                raise ValueError("each tag must be 1-100 characters after trimming")
            if t not in cleaned:
                cleaned.append(t)
        return cleaned


class RenderOut(Timestamped):
    id: str
    modelId: str
    status: str
    renderSettings: dict[str, Any]
    fileSize: int | None
    errorMessage: str | None
    hasWebVariant: bool
    is_system_preview: bool
    progress: int | None = Field(
        description="meshfarm extension: how far the render is, 0-100, by its phase "
        "(pending 0, poster-processing 10, poster-done 20, video-processing 90, done 100); "
        "null once it ended in error"
    )
    eta: float | None = Field(
        description="meshfarm extension: estimated seconds until done, from the time the "
        "render has run and its progress; null while pending or after an error, 0 when done"
    )
    createdAt: datetime
    updatedAt: datetime


class RenderCreateIn(BaseModel):
    """Parsed loosely so that a missing modelId gets its own documented error code."""

    model_config = ConfigDict(extra="forbid")
    modelId: Any = None
    renderSettings: Any = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    renders: Any = None


class BatchItemOut(BaseModel):
    id: str
    modelId: str
    status: str


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    renders: Any = None


class QuoteLine(BaseModel):
    quality: str | None = None
    datasetQuality: str | None = None
    credits: int


class QuoteOut(BaseModel):
    creditsRequired: int
    creditsAvailable: int
    sufficient: bool
    breakdown: list[QuoteLine]


class WorkerOut(BaseModel):
    """One worker slot (a local process or a Ray actor) of its executor's ``pool``."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    pool: Resource | None = None
    node: str | None = None
    gpu: str | None = None
    eglDevice: int | None = None
    pid: int | None = None
    alive: bool = True
    currentJob: str | None = None
    jobsDone: int = 0
    lastHeartbeat: float | None = None


class FleetOut(BaseModel):
    executor: str | None
    draining: bool
    workers: list[WorkerOut]


OverlayLayer = Literal["background", "foreground", "environment"]


class OverlayFields(BaseModel):
    """The text fields beside an overlay upload's ``file``. An empty ``name`` or
    ``description`` is none; an empty ``layer`` or ``alignment`` is refused like any other
    value that is not one of theirs."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("name", "description", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    layer: OverlayLayer = "background"
    alignment: Align = "top-left"
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=500)


class OverlayOut(Timestamped):
    id: str
    layer: str
    alignment: str
    name: str | None
    description: str | None
    system: bool
    width: int
    height: int
    fileSize: int
    createdAt: datetime

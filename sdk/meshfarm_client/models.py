"""The dx.gl v1 resources as pydantic models (Python names; the API's camelCase on the wire).

Unknown fields the farm adds later are kept (``extra="allow"``), so an older client still
reads a newer farm. ``RenderSettings`` mirrors the documented settings and meshfarm's
lighting extensions; the farm validates them, so a plain dict of camelCase keys works too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")
Quality = Literal["share", "standard", "4k", "pro"]
Status = Literal[
    "pending", "poster-processing", "poster-done", "video-processing", "done", "error", "failed"
]
FINAL_STATUSES: frozenset[str] = frozenset({"done", "error", "failed"})


class Resource(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class RenderSettings(Resource):
    """Every documented field (none required: the farm fills in dx.gl's defaults)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", protected_namespaces=()
    )

    quality: Quality | None = None
    effect: str | None = None
    output: Literal["video", "dataset"] | None = None
    dataset_quality: Literal["100x800", "196x1024", "400x2048"] | None = None
    coverage: Literal["hemisphere", "sphere"] | None = None
    sweep_angle: float | None = None
    ease_out_ratio: float | None = None
    amplitude: float | None = None
    zoom_start: float | None = None
    zoom_end: float | None = None
    scale_from: float | None = None
    vignette: float | None = None
    aspect: Literal["16:9", "1:1", "9:16"] | None = None
    bg_color: str | None = None
    bg_image_id: str | None = None
    bg_align: str | None = None
    length: float | None = None
    animation: str | None = None
    animation_speed: float | None = None
    shadows: bool | None = None
    reflector: bool | None = None
    easing: bool | None = None
    rotate_y: int | None = None
    tilt_x: int | None = None
    pan_x: int | None = None
    roll_z: int | None = None
    zoom: float | None = None
    environment: str | None = None
    environment_rotation: float | None = None
    environment_intensity: float | None = None
    tone_mapping: Literal["neutral", "aces", "none"] | None = None
    key_light: bool | None = None
    background: Literal["color", "environment"] | None = None
    material_variant: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


Settings = RenderSettings | Mapping[str, Any] | None
"""What every call that creates a render takes: a model, a dict of camelCase keys, or none."""


def settings_json(settings: Settings) -> dict[str, Any]:
    if settings is None:
        return {}
    if isinstance(settings, RenderSettings):
        return settings.wire()
    return dict(settings)


class Meta(Resource):
    total: int
    offset: int
    limit: int


class Page(Resource, Generic[T]):
    data: list[T]
    meta: Meta


class Account(Resource):
    id: str
    email: str
    credits: int
    is_admin: bool = False


class Upload(Resource):
    model_id: str
    render_id: str
    duplicate: bool = False


class Model(Resource):
    id: str
    original_name: str
    title: str | None = None
    sku: str | None = None
    tags: list[str] = Field(default_factory=list)
    file_size: int
    sha256: str
    original_format: str | None = None
    archived: bool = False
    created_at: datetime


class RenderSummary(Resource):
    id: str
    status: str
    render_settings: dict[str, Any] = Field(default_factory=dict)
    is_system_preview: bool = Field(
        False, validation_alias=AliasChoices("is_system_preview", "isSystemPreview")
    )
    created_at: datetime
    updated_at: datetime


class ModelDetail(Model):
    renders: list[RenderSummary] = Field(default_factory=list)


class Render(Resource):
    id: str
    model_id: str
    status: str
    render_settings: dict[str, Any] = Field(default_factory=dict)
    file_size: int | None = None
    error_message: str | None = None
    has_web_variant: bool = False
    is_system_preview: bool = Field(
        False, validation_alias=AliasChoices("is_system_preview", "isSystemPreview")
    )
    progress: int | None = None
    """meshfarm extension: 0-100 (None from a farm without it, or after an error)."""
    eta: float | None = None
    """meshfarm extension: estimated seconds until done."""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_dataset(self) -> bool:
        return self.render_settings.get("output") == "dataset"


class BatchItem(Resource):
    id: str
    model_id: str
    status: str


class QuoteLine(Resource):
    quality: str | None = None
    dataset_quality: str | None = None
    credits: int


class Quote(Resource):
    credits_required: int
    credits_available: int
    sufficient: bool
    breakdown: list[QuoteLine]

"""dx.gl renderSettings: every field with its documented range, enum and default, and its
translation to and from meshfarm's job specs (the only place dx.gl's names are known)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from broker import safe_json
from broker.errors import InvalidSettings, SettingRejected
from workers.catalogue import DatasetTierName, VideoTierName
from workers.specs import Align, Aspect, Coverage, DatasetSpec, RenderSpec, ToneMapping
from workers.specs import Effect as VideoEffect

Quality = VideoTierName
DatasetQuality = DatasetTierName
Effect = Literal[VideoEffect, "dataset"]


def _whole_number(value: Any) -> Any:
    """A client that computes an angle (``360 / 8``) sends ``45.0``: that is the integer 45.
    Fractions, strings and booleans are still refused by the strict integer check."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Degrees = Annotated[int, BeforeValidator(_whole_number)]

MAX_LENGTH = 30.0
MAX_ADMIN_LENGTH = 600.0
# Path parameters each effect uses, with dx.gl's documented defaults.
EFFECT_DEFAULTS: dict[str, dict[str, float]] = {
    "hero-spin": {"sweepAngle": 540, "easeOutRatio": 0.6},
    "showcase": {"amplitude": 60},
    "zoom-orbit": {"zoomStart": 1.0, "zoomEnd": 0.7},
    "reveal": {"scaleFrom": 0.0, "sweepAngle": 180},
}


class RenderSettings(BaseModel):
    """Strict: wrong types are refused rather than coerced, unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    quality: Quality = "share"
    effect: Effect = "turntable"
    output: Literal["video", "dataset"] = "video"
    datasetQuality: DatasetQuality | None = None
    coverage: Coverage | None = None
    sweepAngle: float | None = Field(None, ge=10, le=1080)
    easeOutRatio: float | None = Field(None, ge=0, le=1)
    amplitude: float | None = Field(None, ge=5, le=180)
    zoomStart: float | None = Field(None, ge=0.1, le=3)
    zoomEnd: float | None = Field(None, ge=0.1, le=3)
    scaleFrom: float | None = Field(None, ge=0, le=1)
    vignette: float = Field(0.0, ge=0, le=1)
    aspect: Aspect = "16:9"
    bgColor: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")
    bgImageId: str | None = Field(None, min_length=1, max_length=64)
    bgAlign: Align = "top-left"
    length: float = Field(6.0, ge=3, le=MAX_ADMIN_LENGTH)
    animation: str | None = Field(None, min_length=1, max_length=200)
    animationSpeed: float = Field(1.0, gt=0, le=10)
    shadows: bool = True
    reflector: bool = False
    easing: bool = True
    rotateY: Degrees = Field(0, ge=-180, le=180)
    tiltX: Degrees = Field(0, ge=-90, le=90)
    panX: Degrees = Field(0, ge=-180, le=180)
    rollZ: Degrees = Field(0, ge=-180, le=180)
    zoom: float = Field(1.0, ge=0.5, le=2.0)
    # meshfarm extensions (docs/api.md, "Lighting and materials"): a dx.gl client never
    # sends them, and left out they stay out of the stored settings, so dx.gl echoes are
    # unchanged. ``environment`` is a built-in name or an environment overlay's id;
    # ``materialVariant`` a KHR_materials_variants name of the model.
    environment: str | None = Field(None, min_length=1, max_length=64)
    environmentRotation: float | None = Field(None, ge=-360, le=360)
    environmentIntensity: float | None = Field(None, ge=0, le=100)
    toneMapping: ToneMapping | None = None
    keyLight: bool | None = None
    background: Literal["color", "environment"] | None = None
    materialVariant: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _normalise(self) -> RenderSettings:
        if self.effect == "dataset" or self.output == "dataset":
            self.effect = "dataset"
            self.output = "dataset"
            self.datasetQuality = self.datasetQuality or "100x800"
            self.coverage = self.coverage or "hemisphere"
        elif self.datasetQuality is not None or self.coverage is not None:
            raise ValueError("datasetQuality and coverage need output 'dataset'")
        for name, default in EFFECT_DEFAULTS.get(self.effect, {}).items():
            if getattr(self, name) is None:
                setattr(self, name, default)
        self.bgColor = self.bgColor.lower()
        return self

    def stored(self) -> dict[str, Any]:
        """The settings as stored and echoed back: defaults filled in, unused fields left out."""
        data = self.model_dump(exclude_none=True)
        if self.output == "dataset":
            return {
                k: data[k] for k in ("output", "effect", "datasetQuality", "coverage") if k in data
            }
        data.pop("output")
        return data


def _message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"renderSettings.{field}: {msg}" if field else f"renderSettings: {msg}")
    return "; ".join(parts)


def decode_settings(raw: Any) -> Any:
    """One rule for every endpoint: ``renderSettings`` is an object or that object as a
    JSON string (what a multipart form carries); an empty string is no settings."""
    if not isinstance(raw, str):
        return raw
    if not raw.strip():
        return None
    try:
        return safe_json.loads(raw, "renderSettings")
    except json.JSONDecodeError as exc:
        raise InvalidSettings(f"renderSettings is not valid JSON: {exc.msg}") from None


def parse_render_settings(raw: Any, *, is_admin: bool) -> RenderSettings:
    """Validate renderSettings (see :func:`decode_settings`; None means all defaults);
    raises invalid_settings."""
    raw = decode_settings(raw)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidSettings("renderSettings must be a JSON object")
    try:
        settings = RenderSettings.model_validate(raw)
    except ValidationError as exc:
        raise InvalidSettings(_message(exc)) from None
    if settings.length > MAX_LENGTH and not is_admin:
        raise InvalidSettings(
            f"renderSettings.length: must be between 3 and {MAX_LENGTH:g} seconds "
            f"(up to {MAX_ADMIN_LENGTH:g} for admin accounts)"
        )
    return settings


# dx.gl's name of each RenderSpec field that is not spelt the same.
FIELD_NAMES: dict[str, str] = {
    "tier": "quality",
    "sweep_angle": "sweepAngle",
    "ease_out_ratio": "easeOutRatio",
    "zoom_start": "zoomStart",
    "zoom_end": "zoomEnd",
    "scale_from": "scaleFrom",
    "bg_color": "bgColor",
    "bg_image_id": "bgImageId",
    "bg_align": "bgAlign",
    "animation_speed": "animationSpeed",
    "rotate_y": "rotateY",
    "tilt_x": "tiltX",
    "pan_x": "panX",
    "roll_z": "rollZ",
    "environment_rotation": "environmentRotation",
    "environment_intensity": "environmentIntensity",
    "tone_mapping": "toneMapping",
    "key_light": "keyLight",
    "material_variant": "materialVariant",
}
_SAME_NAMES = (
    "effect",
    "amplitude",
    "vignette",
    "aspect",
    "length",
    "animation",
    "shadows",
    "reflector",
    "easing",
    "zoom",
    "environment",
)


def to_spec(settings: RenderSettings, model_id: str) -> RenderSpec | DatasetSpec:
    """The job spec a render with these settings runs as."""
    if settings.output == "dataset":
        return DatasetSpec(
            model_id=model_id,
            tier=settings.datasetQuality or "100x800",
            coverage=settings.coverage or "hemisphere",
        )
    given = settings.model_dump()
    values: dict[str, Any] = {name: given[name] for name in _SAME_NAMES}
    values.update({field: given[name] for field, name in FIELD_NAMES.items()})
    if "bgAlign" not in settings.model_fields_set:
        values["bg_align"] = None  # the overlay's own alignment, else top-left
    if settings.background is not None:
        values["background_environment"] = settings.background == "environment"
    return RenderSpec(model_id=model_id, **values)


def echo(spec: RenderSpec | DatasetSpec) -> dict[str, Any]:
    """``renderSettings`` as dx.gl shows a render's: defaults filled in, unused fields out."""
    if isinstance(spec, DatasetSpec):
        raw: dict[str, Any] = {
            "output": "dataset",
            "datasetQuality": spec.tier,
            "coverage": spec.coverage,
        }
    else:
        given = spec.model_dump()
        raw = {name: given[name] for name in _SAME_NAMES}
        raw.update({name: given[field] for field, name in FIELD_NAMES.items()})
        if spec.background_environment is not None:
            raw["background"] = "environment" if spec.background_environment else "color"
        raw = {k: v for k, v in raw.items() if v is not None}
    return RenderSettings.model_validate(raw, strict=False).stored()


def rejected(exc: SettingRejected, where: str = "") -> InvalidSettings:
    """A service's refusal of one spec field, worded with dx.gl's field name."""
    name = FIELD_NAMES.get(exc.field, exc.field)
    return InvalidSettings(f"{where}renderSettings.{name}: {exc.reason}")

"""Typed job specs: what a client asked for, in meshfarm's own words.

The API edge (a dialect) builds one spec from a request, once; it is stored on the job
row and is what the worker executes. A spec names its inputs by id (model, overlays): the
dispatcher resolves them to object-store keys when the job runs (``Assignment.inputs``),
so a spec stays valid however the store is laid out. No vendor's field names appear here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from workers.catalogue import (
    DATASET_TIERS,
    SIMREADY_PRICES,
    VIDEO_TIERS,
    DatasetTierName,
    VideoTierName,
)
from workers.resources import Resource

Effect = Literal["turntable", "hero-spin", "showcase", "zoom-orbit", "reveal"]
Aspect = Literal["16:9", "1:1", "9:16"]
Align = Literal[
    "top-left",
    "top-center",
    "top-right",
    "center-left",
    "center",
    "center-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
]
ToneMapping = Literal["neutral", "aces", "none"]
Coverage = Literal["hemisphere", "sphere"]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str

    @property
    def resource(self) -> Resource:
        return KIND_RESOURCES[self.kind]


class RenderSpec(_Spec):
    """A turntable-style video with posters and a thumbnail.

    Optional lighting fields left at None mean "the renderer's default" and are kept
    apart from an explicit value, so that an API can echo only what its client sent.
    """

    kind: Literal["render"] = "render"
    model_id: str
    tier: VideoTierName = "share"
    preview: bool = False
    """The free system preview of an upload: half size, first in the queue."""
    effect: Effect = "turntable"
    sweep_angle: float | None = None
    ease_out_ratio: float | None = None
    amplitude: float | None = None
    zoom_start: float | None = None
    zoom_end: float | None = None
    scale_from: float | None = None
    vignette: float = 0.0
    aspect: Aspect = "16:9"
    bg_color: str = Field("#ffffff", pattern=r"^#[0-9a-f]{6}$")
    """sRGB, lower-case ``#rrggbb``."""
    bg_image_id: str | None = None
    bg_align: Align | None = None
    """None: the background overlay's own alignment (top-left without one)."""
    length: float = 6.0
    animation: str | None = None
    animation_speed: float = 1.0
    shadows: bool = True
    reflector: bool = False
    easing: bool = True
    rotate_y: float = 0.0
    tilt_x: float = 0.0
    pan_x: float = 0.0
    roll_z: float = 0.0
    zoom: float = 1.0
    environment: str | None = None
    """A built-in environment's name or an environment overlay's id (None: studio)."""
    environment_rotation: float | None = None
    environment_intensity: float | None = None
    tone_mapping: ToneMapping | None = None
    key_light: bool | None = None
    background_environment: bool | None = None
    material_variant: str | None = None

    @property
    def credits(self) -> int:
        return 0 if self.preview else VIDEO_TIERS[self.tier].credits

    @property
    def priority(self) -> int:
        return 10 if self.preview else 0


class DatasetSpec(_Spec):
    """A NeRF / Gaussian-splatting training set: posed views, depth, points, in one ZIP."""

    kind: Literal["dataset"] = "dataset"
    model_id: str
    tier: DatasetTierName = "100x800"
    coverage: Coverage = "hemisphere"

    @property
    def credits(self) -> int:
        return DATASET_TIERS[self.tier].credits

    @property
    def priority(self) -> int:
        return 0


ConvertTarget = Literal["usdz", "usdc", "usda", "glb", "obj", "stl", "fbx"]
SimReadyJobType = Literal[
    "glb_to_simready", "text_to_simready", "image_to_simready", "multiview_to_simready"
]
SimulationScene = Literal["demo", "drop"]


class ConvertSpec(_Spec):
    """One uploaded file converted to ``target``, checked by the target's validator, round
    tripped and graded by a health report. The source is the conversion's stored upload."""

    kind: Literal["convert"] = "convert"
    conversion_id: str
    target: ConvertTarget = "usdz"
    y_up: bool = True
    """Turn a Z-up (or X-up) source Y-up, as glTF and ARKit expect."""
    root_xform: bool = True
    """Bake the root transforms into the meshes and put the asset on the origin."""

    @property
    def credits(self) -> int:
        return 0

    @property
    def priority(self) -> int:
        return 0


class ViewsSpec(_Spec):
    """A model's stored file drawn from the canonical views (workers.views_job.VIEWS) and
    as a thumbnail: rendered once per file and served from the broker's cache. Nobody is
    charged: it is derived from a file the account already holds."""

    kind: Literal["views"] = "views"
    model_id: str

    @property
    def credits(self) -> int:
        return 0

    @property
    def priority(self) -> int:
        return 0


class SimReadySpec(_Spec):
    """One uploaded file (or a generated model) made simulation-ready: preprocessed to a
    clean asset, its physics material identified, decimated, decomposed into convex
    colliders, written as a SimReady USD and an MJCF package and validated. The source is
    the job's stored upload; ``name`` is what the outputs are called (the upload's stem)."""

    kind: Literal["simready"] = "simready"
    simready_id: str
    name: str = "model"
    job_type: SimReadyJobType = "glb_to_simready"
    target_triangle_count: int | None = Field(None, ge=1_000, le=1_000_000)
    threshold: float | None = Field(None, gt=0, le=1)
    """CoACD's concavity threshold (None: the fast preset's)."""
    material_provider: str | None = None
    """Who identifies the physics material (None: the heuristic)."""
    skip_validation: bool = False
    prompt: str | None = Field(None, max_length=500)
    """A generated model's text prompt (sent to the configured generator)."""
    images: int = Field(0, ge=0, le=4)
    """A generated model's images (its inputs ``image-0`` …), sent to the generator."""
    face_limit: int | None = Field(None, ge=1)
    """The generator's face cap, when the caller set one."""

    @property
    def generated(self) -> bool:
        return self.job_type != "glb_to_simready"

    @property
    def credits(self) -> int:
        return SIMREADY_PRICES[self.job_type]

    @property
    def priority(self) -> int:
        return 0


class SimulateSpec(_Spec):
    """A finished simulation-ready asset's MJCF package dropped into a MuJoCo scene and
    filmed: a video, a GIF, a log and a verdict. The input is the parent's package."""

    kind: Literal["simulate"] = "simulate"
    simready_id: str
    scene: SimulationScene = "demo"

    @property
    def credits(self) -> int:
        return SIMREADY_PRICES["simulate_usd"]

    @property
    def priority(self) -> int:
        return 0


KIND_RESOURCES: dict[str, Resource] = {
    "render": "gpu",
    "dataset": "gpu",
    "convert": "cpu",
    "views": "gpu",
    "simready": "cpu",
    "simulate": "gpu",
}
"""Which worker pool runs each kind: rendering needs a GL context, conversion only CPU."""

AnySpec = RenderSpec | DatasetSpec | ConvertSpec | ViewsSpec | SimReadySpec | SimulateSpec
JobSpec = Annotated[AnySpec, Field(discriminator="kind")]
JOB_SPECS: TypeAdapter[AnySpec] = TypeAdapter(JobSpec)
"""Parses a stored spec back into its class (``JOB_SPECS.validate_python(row.spec)``)."""
RENDER_SPECS: TypeAdapter[RenderSpec | DatasetSpec] = TypeAdapter(
    Annotated[RenderSpec | DatasetSpec, Field(discriminator="kind")]
)
"""The same for a render row's job, which is a render or a dataset."""

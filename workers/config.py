"""The one settings class of meshfarm.

It lives in ``workers`` because both sides read it: the broker (which may import workers)
and the worker processes (which must not import the broker).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024
H264Choice = Literal["auto", "libx264", "h264_nvenc"]
"""``encoders.H264Choice``'s values, spelt out: importing ``encoders`` here would load PyAV
into every broker process (tests/encoders/test_failures.py holds the two equal)."""


class Settings(BaseSettings):
    """Every knob, read from ``MESHFARM_*`` environment variables (or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="MESHFARM_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Root of the embedded defaults.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file in the data dir."
    )
    storage_url: str | None = Field(
        None,
        description="file:///abs/dir or s3://bucket[/prefix]; default: objects/ in the data dir.",
    )
    s3_endpoint: str | None = Field(None, description="host:port of the S3 / MinIO endpoint.")
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str | None = None
    s3_secure: bool = True

    max_upload_bytes: int = Field(100 * MB, description="dx.gl's 100 MB upload limit.")
    max_unzipped_bytes: int = Field(
        512 * MB, description="A ZIP upload may not expand past this (ZIP bombs)."
    )
    max_zip_entries: int = 1000
    max_json_body_bytes: int = Field(
        1 * MB, ge=1024, description="A JSON request body (413 payload_too_large past it)."
    )
    max_overlay_bytes: int = Field(10 * MB, ge=1, description="An uploaded background image.")
    max_environment_bytes: int = Field(
        64 * MB, ge=1, description="An uploaded .hdr/.exr environment map (a 4k .hdr ≈ 25 MB)."
    )
    ingest_timeout_seconds: float = Field(
        120.0, gt=0, description="POST /v1/models/ingest: the whole download's deadline."
    )
    ingest_allow_private: bool = Field(
        False,
        description="Let URL ingest fetch from loopback/private addresses (off: SSRF guard).",
    )
    max_gltf_json_bytes: int = 64 * MB
    # What one uploaded model may cost, checked at upload before anything is stored or
    # charged (docs/api.md, "Model limits"); the triangle/vertex/node defaults are the
    # renderer's own limits (renderer/limits.py), which a larger value cannot lift.
    max_json_depth: int = Field(64, ge=8, description="Nesting depth of a glTF's JSON.")
    max_triangles: int = Field(4_000_000, ge=1, description="Triangles drawn, all instances.")
    max_vertices: int = Field(8_000_000, ge=1, description="Vertices over all primitives.")
    max_nodes: int = Field(100_000, ge=1)
    max_accessor_bytes: int = Field(
        512 * MB, description="Decoded accessor data of one model, however it is stored."
    )
    accessor_bytes_per_file_byte: int = Field(
        32, ge=1, description="Accessor data per byte of the model's data (zero-fill bombs)."
    )
    accessor_bytes_floor: int = Field(
        64 * MB, description="Accessor data always allowed, whatever the file's size."
    )
    max_images: int = Field(1024, ge=1, description="Entries in a model's images array.")
    max_texture_side: int = Field(8192, ge=1, description="Widest/highest texture, in pixels.")
    max_model_texels: int = Field(
        256 * 1024 * 1024, ge=1, description="Sum of the pixels of a model's textures."
    )
    convert_memory_bytes: int = Field(
        3 * 1024 * MB,
        description="Address-space limit of a conversion's process (an upload's, a job's).",
    )
    convert_timeout_seconds: float = Field(120.0, gt=0, description="Wall clock per conversion.")
    simready_budget_seconds: float = Field(
        60.0, gt=0, description="Time CoACD may take per asset before the convex-hull fallback."
    )
    simready_timeout_seconds: float = Field(
        300.0, gt=0, description="Wall clock per simulation-ready job (its whole pipeline)."
    )
    simready_memory_bytes: int = Field(
        6 * 1024 * MB, description="Address-space limit of a simulation-ready job's process."
    )
    simulate_timeout_seconds: float = Field(
        180.0, gt=0, description="Wall clock per physics simulation and its video."
    )
    material_llm_url: str | None = Field(
        None,
        description="An OpenAI-compatible endpoint (…/v1) that identifies physics materials, "
        "offered to Rigyd callers as llm_provider=<material_llm_name>.",
    )
    material_llm_name: str = Field("openai", description="The llm_provider name of that endpoint.")
    material_llm_model: str = Field("gpt-4o-mini", description="The model asked at that endpoint.")
    material_llm_key: str | None = Field(None, description="Its bearer key, if it needs one.")
    url_signing_key: str | None = Field(
        None,
        description="Key of the short-lived download links (Rigyd's output URLs); unset, a "
        "random one per broker process (links then end with a restart).",
    )
    signed_url_seconds: int = Field(3600, ge=60, description="How long a download link works.")
    generator_url: str | None = Field(
        None,
        description="A self-hosted text/image-to-3D server (docs/physics.md, 'Generators') "
        "behind POST /rigyd/api/conversions/generate, or builtin:silhouette to carve 2-4 "
        "views on a plain background in the worker; unset, generation is refused.",
    )
    convert_concurrency: int = Field(2, ge=1, description="Upload conversions run at once.")
    inline_convert_seconds: float = Field(
        60.0,
        ge=0,
        description="How long GET /v1/models/:id/file?format= waits for its conversion.",
    )
    free_signup_credits: int = 10
    admin_bootstrap_email: str = "admin@localhost"
    admin_bootstrap_credits: int = 1000
    bootstrap_token_file: Path | None = Field(
        None, description="Write the first admin token to this file (mode 0600), not stdout."
    )
    port: int = Field(8000, ge=1, le=65535, description="TCP port of `meshfarm serve`.")
    api_processes: int = Field(
        1,
        ge=1,
        le=64,
        description="Processes of `meshfarm serve` answering the API on its one port: one "
        "is held to a core by Python's GIL. The dispatcher, janitor and webhook loop run "
        "once, in the parent, and /metrics adds up every process's counters.",
    )
    # Deadlines on receiving a request (broker/server.py): slow or stalled clients are closed.
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="A request's line and headers must arrive within this."
    )
    body_timeout_seconds: float = Field(
        20.0, gt=0, description="Longest pause in a request body, and its grace period."
    )
    body_min_rate: int = Field(
        1000, ge=0, description="Bytes per second a body must average after the grace period."
    )
    workers: int = Field(
        1,
        ge=0,
        description="GPU render slots: local render processes started by `serve` (one EGL "
        "context each); on Ray, render actors where the cluster has no GPU (else one per GPU).",
    )
    cpu_workers: int = Field(
        1,
        ge=0,
        description="CPU job slots (conversions, collision decomposition), apart from the "
        "render slots: local processes or one-CPU Ray actors that never touch GL.",
    )
    worker_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How much lower the local worker processes' CPU priority is than the "
        "broker's (nice): on a shared machine a render then yields to API requests instead "
        "of doubling their latency; 0 runs them at the broker's priority.",
    )
    h264_encoder: H264Choice = Field(
        "auto",
        description="auto: h264_nvenc where it opens, else libx264; or force either one.",
    )
    blender_python: Path = Field(
        Path(".venv-blender/bin/python"),
        description="The Python that has Blender's bpy (FBX in and out; `make install` "
        "builds it): run in a subprocess of its own, never imported by meshfarm.",
    )
    janitor_grace_seconds: float = Field(
        3600.0, gt=0, description="Age before unreferenced files count as crash debris."
    )
    janitor_interval_seconds: float = Field(
        900.0, gt=0, description="Seconds between janitor sweeps (one also runs on start)."
    )
    lease_seconds: int = 60
    max_attempts: int = 3
    # USD Refinery keys (docs/api.md, "USD Refinery"): per tier, the largest upload and the
    # conversions one key may submit per calendar month (UTC); a quota of 0 is unlimited.
    refinery_starter_max_bytes: int = Field(50 * MB, ge=1)
    refinery_starter_monthly: int = Field(100, ge=0)
    refinery_pro_max_bytes: int = Field(500 * MB, ge=1)
    refinery_pro_monthly: int = Field(2000, ge=0)
    refinery_enterprise_max_bytes: int = Field(2048 * MB, ge=1)
    refinery_enterprise_monthly: int = Field(0, ge=0)
    # Webhooks (docs/webhooks.md): delivered by the broker, never to a private address
    # unless allowed; a delivery is retried after each of the backoff delays, then given up.
    webhook_allow_private: bool = Field(
        False, description="Let webhooks reach loopback/private addresses (off: SSRF guard)."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    webhook_backoff_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 3600.0],
        description="Delay before each retry; after the last one the delivery is given up.",
    )
    webhook_poll_seconds: float = Field(2.0, gt=0, description="Outbox rounds' interval.")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'meshfarm.db').resolve()}"

    @cached_property
    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.data_dir / "objects").resolve().as_uri()

    @property
    def tmp_dir(self) -> Path:
        """Staging area for uploads; on the same disk as the local store so renames are atomic."""
        path = self.data_dir / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

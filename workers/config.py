"""The one settings class of meshfarm.

It lives in ``workers`` because both sides read it: the broker (which may import workers)
and the worker processes (which must not import the broker).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


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
    ingest_timeout_seconds: float = Field(
        120.0, gt=0, description="POST /v1/models/ingest: the whole download's deadline."
    )
    ingest_allow_private: bool = Field(
        False,
        description="Let URL ingest fetch from loopback/private addresses (off: SSRF guard).",
    )
    max_gltf_json_bytes: int = 64 * MB
    free_signup_credits: int = 10
    admin_bootstrap_email: str = "admin@localhost"
    admin_bootstrap_credits: int = 1000
    bootstrap_token_file: Path | None = Field(
        None, description="Write the first admin token to this file (mode 0600), not stdout."
    )
    port: int = Field(8000, ge=1, le=65535, description="TCP port of `meshfarm serve`.")
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
    workers: int = Field(1, ge=0, description="Local worker processes started by `serve`.")
    lease_seconds: int = 60
    max_attempts: int = 3

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

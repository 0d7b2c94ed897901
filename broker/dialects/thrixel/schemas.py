"""Thrixel's request and response bodies, as its documentation shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConvertFormat = Literal["fbx", "obj", "stl", "usdz"]
JobStatus = Literal["queued", "running", "ready", "failed"]


class ConvertIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    submission_id: str = Field(min_length=1, max_length=64)
    format: ConvertFormat
    force: bool = False


class JobOut(BaseModel):
    job_id: str
    submission_id: str
    format: str
    status: JobStatus
    error: str | None
    download_url: str | None
    status_url: str

"""Assignments as the dispatcher hands them to a worker, for tests that run jobs directly."""

from __future__ import annotations

from workers.jobs import Assignment, StoredInput
from workers.specs import DatasetSpec, RenderSpec

MODEL_KEY = "models/m/original.glb"


def assignment(
    job_id: str,
    spec: RenderSpec | DatasetSpec,
    *,
    model_key: str = MODEL_KEY,
    **inputs: StoredInput | None,
) -> Assignment:
    """First attempt at ``job_id``: the stored model plus ``inputs`` (``bg_image``,
    ``environment``; None for one deleted since the job was accepted)."""
    return Assignment(
        job_id=job_id,
        attempt=1,
        lease_version=1,
        output_prefix=f"renders/{job_id}/attempt-1",
        spec=spec,
        inputs={"model": StoredInput(key=model_key, format="glb"), **inputs},
    )

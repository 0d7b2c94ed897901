"""Conversion rows in the Refinery's words: its statuses, URLs and epoch timestamps.

The URLs are paths under the API's base (``/api/v1/...``, as its document shows them); a
client joins them onto the base URL it called (``http://host/refinery``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from broker.db.models import Conversion, as_utc
from broker.jobs.states import JobState

Status = Literal["pending", "processing", "completed", "failed"]
STATUSES: dict[str, Status] = {
    JobState.QUEUED.value: "pending",
    JobState.RUNNING.value: "processing",
    JobState.SUCCEEDED.value: "completed",
    JobState.FAILED.value: "failed",
    JobState.DISMISSED.value: "failed",
    JobState.CANCELLED.value: "failed",
}
READINESS = ("unreal", "houdini", "apple_ar", "web_threejs")


def status_of(conversion: Conversion) -> Status:
    return STATUSES[conversion.job.state]


def epoch(at: datetime | None) -> float | None:
    if at is None:
        return None
    return as_utc(at).timestamp()


def finished_at(conversion: Conversion) -> datetime | None:
    """A completed conversion's completion, a failed one's failure (its job's last move)."""
    status = status_of(conversion)
    if status == "completed":
        return conversion.completed_at
    return conversion.job.updated_at if status == "failed" else None


def urls(conversion_id: str) -> dict[str, str]:
    return {
        "status_url": f"/api/v1/status/{conversion_id}",
        "health_url": f"/api/v1/health/{conversion_id}",
        "download_url": f"/api/v1/download/{conversion_id}",
    }


def job_out(conversion: Conversion) -> dict[str, Any]:
    """What /convert and /batch answer for an accepted file."""
    return {
        "job_id": conversion.id,
        "status": status_of(conversion),
        "filename": conversion.filename,
        "export_format": conversion.target,
        **urls(conversion.id),
    }


def engine_readiness(report: dict[str, Any] | None) -> dict[str, bool] | None:
    """The report's four verdicts as booleans (a verdict may be an object with ``ready``)."""
    raw = (report or {}).get("engine_readiness")
    if not isinstance(raw, dict):
        return None
    out = {}
    for engine in READINESS:
        value = raw.get(engine)
        out[engine] = bool(value.get("ready")) if isinstance(value, dict) else bool(value)
    return out


def status_out(conversion: Conversion, error: str | None) -> dict[str, Any]:
    status = status_of(conversion)
    body: dict[str, Any] = {
        "job_id": conversion.id,
        "status": status,
        "filename": conversion.filename,
        "export_format": conversion.target,
        "created_at": epoch(conversion.created_at),
        "completed_at": epoch(finished_at(conversion)),
        "health_score": conversion.health_score if status == "completed" else None,
        "engine_readiness": engine_readiness(conversion.report) if status == "completed" else None,
    }
    if status == "failed":
        body["error"] = error or "The conversion failed"
    return body


def list_item(conversion: Conversion) -> dict[str, Any]:
    status = status_of(conversion)
    return {
        "job_id": conversion.id,
        "status": status,
        "filename": conversion.filename,
        "export_format": conversion.target,
        "created_at": epoch(conversion.created_at),
        "health_score": conversion.health_score if status == "completed" else None,
    }


def webhook_body(conversion: Conversion) -> dict[str, Any]:
    """The seed's webhook: the job's final status and where to fetch its result."""
    status = status_of(conversion)
    return {
        "job_id": conversion.id,
        "status": status,
        "health_score": conversion.health_score if status == "completed" else None,
        "download_url": urls(conversion.id)["download_url"],
    }


def metadata(conversion: Conversion, options: dict[str, Any]) -> dict[str, Any]:
    """metadata.json of a download: what was converted, how, when, and the verdicts."""
    report = conversion.report or {}
    return {
        "job_id": conversion.id,
        "source": {
            "filename": conversion.filename,
            "format": conversion.source_format,
            "size": conversion.source_size,
        },
        "export_format": conversion.target,
        "options": options,
        "created_at": epoch(conversion.created_at),
        "completed_at": epoch(conversion.completed_at),
        "health_score": conversion.health_score,
        "engine_readiness": engine_readiness(report),
        "validators": validator_verdicts(report),
    }


def validator_verdicts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's checks of the written file (``output.*``: the standards' validators and
    the round trip), by name: their result (pass, warn, fail, skip) and message."""
    checks = report.get("checks")
    verdicts = {}
    for check in checks if isinstance(checks, list) else ():
        name = check.get("id", "") if isinstance(check, dict) else ""
        if isinstance(name, str) and name.startswith("output."):
            verdicts[name.removeprefix("output.")] = {
                "result": check.get("result"),
                "message": check.get("message"),
            }
    return verdicts

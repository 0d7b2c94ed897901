"""A simulation-ready build in bounded children (:mod:`workers.bounded_child`): the
preprocessing of a non-GLB upload (:func:`preprocess_bounded`: read any format, a USD ZIP
included, repaired, written as the clean intermediate GLB) and the SimReady pipeline
(:func:`build_bounded`, :func:`physics.build.build_simready`). Readers, CoACD and MuJoCo's
compiler are native code that a hostile file could drive into any amount of memory or
time, and the job must fail, not the worker. Each stage is reported to the parent as it
starts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from exchange.limits import AssetLimits
from workers.bounded_child import Stage, child_main, run_bounded
from workers.config import Settings
from workers.specs import SimReadySpec


@dataclass(frozen=True)
class BuiltFiles:
    usd_dir: Path
    mjcf_dir: Path
    thumbnail: Path
    report: dict[str, Any]
    input_stats: dict[str, Any]
    timings: dict[str, float]


@dataclass(frozen=True)
class Preprocessed:
    glb: Path
    fixes: list[str]
    """The repairs the upload needed (the pipeline's report lists them)."""


def _bounds(settings: Settings) -> dict[str, Any]:
    return {
        "memory_bytes": settings.simready_memory_bytes,
        "timeout_s": settings.simready_timeout_seconds,
        "doing": "making the model simulation-ready",
    }


def preprocess_bounded(source: Path, workdir: Path, settings: Settings) -> Preprocessed:
    """The upload converted to a clean GLB: Rigyd's preprocessing."""
    job = {
        "mode": "preprocess",
        "source": str(source),
        "out": str(workdir / "preprocess"),
        "limits": asdict(AssetLimits.from_settings(settings)),
        "blender_python": str(settings.blender_python) if settings.blender_python else None,
    }
    r = run_bounded("workers.simready_child", job, **_bounds(settings))
    return Preprocessed(glb=Path(r["glb"]), fixes=r["fixes"])


def build_bounded(
    source: Path,
    workdir: Path,
    spec: SimReadySpec,
    settings: Settings,
    *,
    source_format: str,
    on_stage: Stage,
) -> BuiltFiles:
    """The SimReady pipeline on a GLB: the upload itself, a generated model or the
    intermediate GLB of a preprocessed upload (``source_format`` names the upload's)."""
    job = {
        "source": str(source),
        "out": str(workdir / "out"),
        "spec": spec.model_dump(),
        "is_glb": True,  # a non-GLB upload was preprocessed to one first
        "source_name": f"{spec.name}.{source_format}",
        "limits": asdict(AssetLimits.from_settings(settings)),
        "blender_python": str(settings.blender_python) if settings.blender_python else None,
        "budget_s": settings.simready_budget_seconds,
        "llm": {
            "url": settings.material_llm_url,
            "name": settings.material_llm_name,
            "model": settings.material_llm_model,
            "key": settings.material_llm_key,
        },
    }
    r = run_bounded("workers.simready_child", job, on_stage=on_stage, **_bounds(settings))
    return BuiltFiles(
        usd_dir=Path(r["usd_dir"]),
        mjcf_dir=Path(r["mjcf_dir"]),
        thumbnail=Path(r["thumbnail"]),
        report=r["report"],
        input_stats=r["input_stats"],
        timings=r["timings"],
    )


def _preprocess(job: dict[str, Any]) -> dict[str, Any]:
    from exchange.asset import read_asset, write_asset
    from physics.build import cleaned
    from workers.usd_zip import holds_usd, read_usd_zip

    source, out = Path(job["source"]), Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    limits = AssetLimits(**job["limits"])
    if source.suffix.lower() == ".zip" and holds_usd(source):
        read = read_usd_zip(source, out / "unpacked", limits)
    else:
        blender = Path(job["blender_python"]) if job["blender_python"] else None
        read = read_asset(source, limits, blender_python=blender)
    asset, fixes = cleaned(read)
    glb = out / "intermediate.glb"
    write_asset(asset, glb, "glb")
    return {"glb": str(glb), "fixes": fixes}


def _build(job: dict[str, Any], stage: Stage) -> dict[str, Any]:
    if job.get("mode") == "preprocess":
        return _preprocess(job)
    from physics.build import BuildOptions, build_simready
    from workers.material_providers import material_provider

    spec = SimReadySpec.model_validate(job["spec"])
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    options = BuildOptions(
        name=spec.name,
        material_provider=material_provider(spec.material_provider, job["llm"]),
        target_triangle_count=spec.target_triangle_count,
        threshold=spec.threshold,
        budget_s=job["budget_s"],
        skip_validation=spec.skip_validation,
        is_glb=job["is_glb"],
        source_name=job["source_name"],
    )
    built = build_simready(
        Path(job["source"]),
        out,
        options,
        limits=AssetLimits(**job["limits"]),
        blender_python=Path(job["blender_python"]) if job["blender_python"] else None,
        on_stage=stage,
    )
    return {
        "usd_dir": str(built.usd_dir),
        "mjcf_dir": str(built.mjcf_dir),
        "thumbnail": str(built.thumbnail),
        "report": built.report,
        "input_stats": built.input_stats,
        "timings": built.timings,
    }


if __name__ == "__main__":
    child_main(_build)

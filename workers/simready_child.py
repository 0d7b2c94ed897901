"""One simulation-ready build (:func:`physics.build.build_simready`) in a bounded child
(:mod:`workers.bounded_child`): CoACD and MuJoCo's compiler are native code that a hostile
mesh could drive into any amount of memory or time, and the job must fail, not the worker.
Each stage is reported to the parent as it starts."""

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
    intermediate_glb: Path | None
    report: dict[str, Any]
    input_stats: dict[str, Any]
    timings: dict[str, float]


def build_bounded(
    source: Path,
    workdir: Path,
    spec: SimReadySpec,
    settings: Settings,
    *,
    source_format: str,
    on_stage: Stage,
) -> BuiltFiles:
    job = {
        "source": str(source),
        "out": str(workdir / "out"),
        "spec": spec.model_dump(),
        "is_glb": source_format == "glb",
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
    r = run_bounded(
        "workers.simready_child",
        job,
        memory_bytes=settings.simready_memory_bytes,
        timeout_s=settings.simready_timeout_seconds,
        doing="making the model simulation-ready",
        on_stage=on_stage,
    )
    return BuiltFiles(
        usd_dir=Path(r["usd_dir"]),
        mjcf_dir=Path(r["mjcf_dir"]),
        thumbnail=Path(r["thumbnail"]),
        intermediate_glb=Path(r["intermediate_glb"]) if r["intermediate_glb"] else None,
        report=r["report"],
        input_stats=r["input_stats"],
        timings=r["timings"],
    )


def _build(job: dict[str, Any], stage: Stage) -> dict[str, Any]:
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
        "intermediate_glb": str(built.intermediate_glb) if built.intermediate_glb else None,
        "report": built.report,
        "input_stats": built.input_stats,
        "timings": built.timings,
    }


if __name__ == "__main__":
    child_main(_build)

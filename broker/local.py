"""``meshfarm render`` / ``meshfarm dataset``: the farm's work on local files, no server.

Settings are validated exactly as the API validates them (same codes, same messages) and
become the same job spec a server's worker would run; local files stand in for overlays.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from broker.dialects.dxgl.render_settings import parse_render_settings, to_spec
from broker.errors import InvalidSettings
from exchange.limits import AssetLimits
from workers.catalogue import VIDEO_TIERS
from workers.config import Settings
from workers.specs import DatasetSpec, RenderSpec

VIDEO_SUFFIXES = {"h264": ".mp4", "prores4444": ".mov"}
LOCAL_MODEL = "local"
"""The model id in a local spec: the model is a file, not an upload."""


class LocalRenderFailed(ValueError):
    """The model could not be rendered; the message says why (as a render's errorMessage)."""


@contextmanager
def _user_errors() -> Iterator[None]:
    from workers.job_events import USER_ERRORS

    try:
        yield
    except USER_ERRORS as exc:
        raise LocalRenderFailed(str(exc)) from exc


def _spec(raw: str | None, quality: str | None) -> RenderSpec:
    data: Any = {}
    if raw:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidSettings(f"--settings is not valid JSON: {exc.msg}") from None
    if quality is not None and isinstance(data, dict):
        data = {**data, "quality": quality}
    settings = parse_render_settings(data, is_admin=True)
    if settings.bgImageId is not None:
        raise InvalidSettings(
            "renderSettings.bgImageId names an overlay on a server; locally use --bg-image PATH"
        )
    spec = to_spec(settings, LOCAL_MODEL)
    if not isinstance(spec, RenderSpec):
        raise InvalidSettings("a dataset is exported with `meshfarm dataset`")
    return spec


def _model_limits() -> AssetLimits:
    """The model limits a server's workers load under (the ``MESHFARM_*`` settings)."""
    return AssetLimits.from_settings(Settings())


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
    )


def render_locally(
    model: Path,
    output: Path,
    raw_settings: str | None,
    *,
    quality: str | None,
    frame: int,
    bg_image: Path | None = None,
    environment: Path | None = None,
) -> None:
    spec = _spec(raw_settings, quality)
    with _user_errors():
        env = _environment(environment)
        _render(model, output, spec, frame, _background(bg_image), env)


def _environment(path: Path | None) -> Any:
    """A local .hdr / .exr file as the render's environment (a server names an overlay)."""
    if path is None:
        return None
    from renderer.environment import load_environment

    return load_environment(path)


def render_scenario_locally(raw: str) -> Path:
    """``meshfarm render-scenario '<json>'``: the Khronos fidelity generator's CLI backend."""
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidSettings(f"the scenario is not valid JSON: {exc.msg}") from None
    from workers.local_render import render_scenario_png

    with _user_errors():
        return render_scenario_png(config)


def _background(path: Path | None) -> Any:
    if path is None:
        return None
    from workers.job_inputs import read_image

    try:
        return read_image(path)
    except OSError as exc:
        raise ValueError(f"--bg-image {path}: not a readable image ({exc})") from None


def _render(
    model: Path, output: Path, spec: RenderSpec, frame: int, bg_image: Any, env: Any
) -> None:
    suffix = output.suffix.lower()
    if suffix == ".png":
        from workers.local_render import render_png

        render_png(model, output, spec, frame, bg_image, env, limits=_model_limits())
        return
    if suffix not in VIDEO_SUFFIXES.values():
        raise ValueError("the output must be a .png, .mp4 or .mov file")
    expected = VIDEO_SUFFIXES[VIDEO_TIERS[spec.tier].main_codec]
    if suffix != expected:
        raise ValueError(f"quality {spec.tier!r} produces a {expected} file")
    from renderer import load_scene
    from workers.render_job import render_and_encode

    scene = load_scene(model, _model_limits())
    with tempfile.TemporaryDirectory(prefix="meshfarm-render-") as tmp, _progress() as bar:
        task = bar.add_task("rendering", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        files = render_and_encode(
            scene, spec, Path(tmp), bg_image=bg_image, environment=env, progress=progress
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(files["video"].path), output)


def dataset_locally(model: Path, output: Path, *, quality: str, coverage: str) -> None:
    settings = parse_render_settings(
        {"output": "dataset", "datasetQuality": quality, "coverage": coverage}, is_admin=True
    )
    spec = to_spec(settings, LOCAL_MODEL)
    assert isinstance(spec, DatasetSpec)  # output "dataset" is a dataset spec
    if output.suffix.lower() != ".zip":
        raise ValueError("the output must be a .zip file")
    from workers.local_dataset import build_dataset_zip, dataset_views

    with _progress() as bar:
        task = bar.add_task("rendering views", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        output.parent.mkdir(parents=True, exist_ok=True)
        with _user_errors():
            build_dataset_zip(
                model, output, dataset_views(spec), progress=progress, limits=_model_limits()
            )

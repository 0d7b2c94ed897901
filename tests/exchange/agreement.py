"""A file through the upload's check as ``broker/services/uploads.py`` calls it, and the
stored result (the converted GLB of an OBJ scan) through ``load_scene`` in a folder of its
own, as a worker downloads it: for the tests that the two agree."""

from __future__ import annotations

import shutil
from pathlib import Path

from broker.ingest.limits import ModelLimits
from broker.ingest.validate import ModelInvalid, accept_model, upload_format
from renderer import SceneError, load_scene
from workers.config import Settings

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def limits() -> ModelLimits:
    """The limits of the default settings, as both sides apply them."""
    return ModelLimits.from_settings(Settings())


def upload(path: Path, work: Path) -> tuple[Path | None, str | None]:
    """What the upload stores (None when it refuses), and its refusal."""
    staged = work / "staged" / path.name
    staged.parent.mkdir()
    shutil.copyfile(path, staged)
    fmt = upload_format(path.name)
    assert fmt is not None
    try:
        accepted = accept_model(staged, fmt, filename=path.name, tmp_dir=work, limits=limits())
    except ModelInvalid as exc:
        return None, str(exc)
    return accepted.path, None


def render_load(path: Path, work: Path) -> str | None:
    """The loader's refusal of ``path`` downloaded alone into a worker's folder."""
    model = work / "render" / f"model{path.suffix.lower()}"
    model.parent.mkdir()
    shutil.copyfile(path, model)
    try:
        load_scene(model, limits())
    except SceneError as exc:
        return str(exc)
    return None


def both(path: Path, work: Path) -> tuple[str | None, str | None]:
    """The upload's refusal of ``path`` and the loader's of what the upload stored."""
    stored, refused_at_upload = upload(path, work)
    return refused_at_upload, render_load(stored or path, work)

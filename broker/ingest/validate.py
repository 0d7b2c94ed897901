"""From a staged upload to the file meshfarm stores as the model (or a clear refusal)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from broker.ingest.errors import ModelInvalid
from broker.ingest.gltf_check import check_gltf_file, check_gltf_zip
from broker.ingest.limits import ModelLimits
from broker.ingest.obj_convert import convert_obj_zip
from exchange.gltf import check_file_size
from exchange.safe_zip import ZipModel

FORMATS = {".glb": "glb", ".gltf": "gltf", ".zip": "zip"}
CONTENT_TYPES = {"glb": "model/gltf-binary", "gltf": "model/gltf+json", "zip": "application/zip"}


@dataclass(frozen=True)
class AcceptedModel:
    """What to store: ``path`` (maybe a converted GLB) in ``file_format``."""

    path: Path
    file_format: str
    converted: bool


def upload_format(filename: str) -> str | None:
    return FORMATS.get(Path(filename).suffix.lower())


def accept_model(
    staged: Path, file_format: str, *, tmp_dir: Path, limits: ModelLimits
) -> AcceptedModel:
    """Validate ``staged``; OBJ scans are converted to GLB. Raises ModelInvalid."""
    if file_format in ("glb", "gltf"):
        check_gltf_file(staged, limits, binary=file_format == "glb")
        return AcceptedModel(staged, file_format, converted=False)
    check_file_size(staged, limits)
    work = Path(tempfile.mkdtemp(prefix="zip-", dir=tmp_dir))
    try:
        with ZipModel(staged, limits) as archive:
            if archive.model.lower().endswith(".obj"):
                glb = staged.with_name(staged.name + ".glb")
                try:
                    convert_obj_zip(staged, glb, work, limits)
                    check_gltf_file(glb, limits)
                except BaseException:
                    glb.unlink(missing_ok=True)
                    raise
                return AcceptedModel(glb, "glb", converted=True)
            check_gltf_zip(archive, limits, work)
            return AcceptedModel(staged, "zip", converted=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["CONTENT_TYPES", "AcceptedModel", "ModelInvalid", "accept_model", "upload_format"]

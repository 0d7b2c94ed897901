"""From a staged upload to the file meshfarm stores as the model (or a clear refusal).

glTF (.glb, a .gltf with embedded data, a ZIP of a glTF) is stored as uploaded; an OBJ
scan in a ZIP and every other format the converter reads are converted to GLB first, and
every check a GLB upload gets then runs on that GLB.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from broker.ingest.asset_convert import convert_to_glb
from broker.ingest.errors import ModelInvalid
from broker.ingest.gltf_check import check_gltf_file, check_gltf_zip
from broker.ingest.limits import ModelLimits
from broker.ingest.obj_convert import convert_obj_zip
from exchange.formats import READ_SUFFIXES
from exchange.gltf import check_file_size
from exchange.safe_zip import ZipModel

FORMATS = {".glb": "glb", ".gltf": "gltf", ".zip": "zip"}
CONTENT_TYPES = {"glb": "model/gltf-binary", "gltf": "model/gltf+json", "zip": "application/zip"}
SOURCE_TYPES = {
    "dae": "model/vnd.collada+xml",
    "obj": "model/obj",
    "stl": "model/stl",
    "usda": "model/vnd.usda",
    "usdz": "model/vnd.usdz+zip",
}
"""Registered media types of the converted formats that have one; the others are sent
as ``application/octet-stream``."""


@dataclass(frozen=True)
class AcceptedModel:
    """What to store: ``path`` (maybe a converted GLB) in ``file_format``; the upload
    itself was in ``source_format``."""

    path: Path
    file_format: str
    source_format: str

    @property
    def converted(self) -> bool:
        return self.file_format != self.source_format


def upload_format(filename: str) -> str | None:
    """The upload's format by its name's suffix: a glTF one, or one the converter reads."""
    suffix = Path(filename).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix and suffix[1:] in READ_SUFFIXES:
        return suffix[1:]
    return None


def refusal(filename: str) -> str:
    """Why ``filename`` is not taken: what would be."""
    known = ", ".join(f".{s}" for s in READ_SUFFIXES)
    return f"File {filename!r} is not a 3D format meshfarm reads ({known})"


def content_type(file_format: str) -> str:
    return CONTENT_TYPES.get(file_format) or SOURCE_TYPES.get(
        file_format, "application/octet-stream"
    )


def accept_model(
    staged: Path,
    file_format: str,
    *,
    filename: str,
    tmp_dir: Path,
    limits: ModelLimits,
    blender_python: Path | None = None,
) -> AcceptedModel:
    """Validate ``staged`` (sent as ``filename``), converted to GLB unless it is glTF.
    Raises ModelInvalid (ZipTooLarge for a ZIP that expands too far)."""
    if file_format in ("glb", "gltf"):
        check_gltf_file(staged, limits, binary=file_format == "glb")
        return AcceptedModel(staged, file_format, file_format)
    work = Path(tempfile.mkdtemp(prefix="convert-", dir=tmp_dir))
    glb = staged.with_name(staged.name + ".glb")
    try:
        if file_format != "zip":
            convert_to_glb(staged, filename, glb, work, limits, blender_python=blender_python)
            return _checked_glb(glb, limits, file_format)
        check_file_size(staged, limits)
        with ZipModel(staged, limits) as archive:
            if archive.model.lower().endswith(".obj"):
                convert_obj_zip(staged, glb, work, limits)
                return _checked_glb(glb, limits, file_format)
            check_gltf_zip(archive, limits, work)
            return AcceptedModel(staged, "zip", "zip")
    except BaseException:
        glb.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _checked_glb(glb: Path, limits: ModelLimits, source_format: str) -> AcceptedModel:
    """A converted GLB passes the checks of an uploaded one before it is stored."""
    check_gltf_file(glb, limits, binary=True)
    return AcceptedModel(glb, "glb", source_format)


__all__ = [
    "CONTENT_TYPES",
    "AcceptedModel",
    "ModelInvalid",
    "accept_model",
    "content_type",
    "refusal",
    "upload_format",
]

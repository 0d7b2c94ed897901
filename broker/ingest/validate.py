"""From a staged upload to the file meshfarm stores as the model (or a clear refusal)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from broker.ingest.gltf_check import ModelInvalid, check_gltf_file
from broker.ingest.obj_convert import obj_to_glb
from broker.ingest.zip_check import extract_zip, remove_tree

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
    staged: Path,
    file_format: str,
    *,
    tmp_dir: Path,
    max_json: int,
    max_unzipped: int,
    max_entries: int,
) -> AcceptedModel:
    """Validate ``staged``; OBJ scans are converted to GLB. Raises ModelInvalid."""
    if staged.stat().st_size == 0:
        raise ModelInvalid("the file is empty")
    if file_format in ("glb", "gltf"):
        check_gltf_file(staged, max_json=max_json, binary=file_format == "glb")
        return AcceptedModel(staged, file_format, converted=False)
    work = Path(tempfile.mkdtemp(prefix="zip-", dir=tmp_dir))
    try:
        extracted = extract_zip(staged, work, max_bytes=max_unzipped, max_entries=max_entries)
        if extracted.model.suffix.lower() == ".obj":
            glb = staged.with_name(staged.name + ".glb")
            obj_to_glb(extracted.model, glb)
            check_gltf_file(glb, max_json=max_json)
            return AcceptedModel(glb, "glb", converted=True)
        check_gltf_file(extracted.model, max_json=max_json, base_dir=extracted.model.parent)
        return AcceptedModel(staged, "zip", converted=False)
    finally:
        remove_tree(work)


__all__ = ["CONTENT_TYPES", "AcceptedModel", "ModelInvalid", "accept_model", "upload_format"]

"""OBJ scans (OBJ + MTL + textures, in a ZIP) to GLB, as dx.gl does on upload.

Runs in a bounded child process (:mod:`broker.ingest.bounded`), never in the API process.
Limits come before trimesh builds anything: the OBJ is counted while it is inflated
(:mod:`broker.ingest.obj_scan`), the MTL trimesh will read and the ``map_Kd`` textures it
names are the only other members extracted, and each texture's size is read from its
header and checked against the model's texture limits. Textures larger than the renderer
can show are downscaled before they are written into the GLB.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from broker.ingest.bounded import child_main, run_bounded
from broker.ingest.errors import ModelInvalid
from broker.ingest.limits import ModelLimits
from broker.ingest.obj_scan import ObjScan
from exchange.images import ImageInvalid, image_header
from exchange.safe_zip import ZipModel
from exchange.textures import TextureBudget

MAX_MTL_BYTES = 16 * 1024 * 1024
TEXTURE_SIDE = 4096
"""renderer.limits.MAX_TEXTURE_SIDE: the most detail any tier's frame shows."""


def convert_obj_zip(archive: Path, out: Path, work: Path, limits: ModelLimits) -> None:
    """The ZIP's OBJ as a GLB at ``out``, converted by a bounded child process."""
    run_bounded(
        __name__,
        {"archive": str(archive), "out": str(out), "work": str(work), "limits": asdict(limits)},
        memory_bytes=limits.convert_memory_bytes,
        timeout=limits.convert_timeout_seconds,
        concurrency=limits.convert_concurrency,
        what="converting the OBJ",
    )


def _convert(job: dict[str, Any]) -> dict[str, Any]:
    limits = ModelLimits(**job["limits"])
    work = Path(job["work"])
    with ZipModel(Path(job["archive"]), limits) as archive:
        scan = ObjScan(limits)
        obj = archive.extract(archive.model, work, observe=scan.feed)
        scan.finish()
        if scan.mtllib:
            _extract_materials(archive, scan.mtllib, work, limits)
    obj_to_glb(obj, Path(job["out"]))
    return {"triangles": scan.triangles}


def _member(archive: ZipModel, name: str) -> str | None:
    """The member trimesh's file resolver would open for ``name`` (same candidates)."""
    for candidate in (name.strip(), name.strip().lstrip("/"), os.path.split(name)[-1]):
        found = archive.find(candidate, archive.model) if candidate else None
        if found is not None:
            return found
    return None


def _extract_materials(archive: ZipModel, mtllib: str, work: Path, limits: ModelLimits) -> None:
    name = _member(archive, mtllib)
    if name is None:
        return  # trimesh goes on without materials, and so do we
    if archive.members[name].file_size > MAX_MTL_BYTES:
        raise ModelInvalid(f"the MTL file {mtllib!r} is larger than 16 MB")
    budget = TextureBudget(limits)
    text = archive.extract(name, work).read_text("utf-8", errors="replace")
    for line in text.splitlines():
        split = line.strip().split()
        if len(split) <= 1 or split[0].lower() != "map_kd":
            continue  # trimesh loads the diffuse map only
        file_name = line[line.lower().index("map_kd") + 6 :].strip()
        texture = _member(archive, file_name)
        if texture is None:
            continue
        what = f"the texture {file_name!r}"
        with archive.extract(texture, work).open("rb") as fh:
            try:
                header = image_header(fh, what, any_format=True)
            except ImageInvalid:
                continue  # trimesh skips an image it cannot open
        budget.add(header, what)


def obj_to_glb(obj_path: Path, out_path: Path) -> None:
    """Convert with trimesh; materials get roughness 1.0 for the matte look of a scan."""
    import trimesh
    from trimesh.visual.material import PBRMaterial

    try:
        scene: Any = trimesh.load(obj_path, force="scene", process=False)
    except Exception as exc:  # trimesh raises anything on a bad OBJ; no server path leaks
        raise ModelInvalid(f"the OBJ file cannot be read ({type(exc).__name__})") from None
    meshes = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh)]
    if not meshes or all(len(m.faces) == 0 for m in meshes):
        raise ModelInvalid("the OBJ has no faces")
    for mesh in meshes:
        if not np.isfinite(mesh.vertices).all():
            raise ModelInvalid("the OBJ has NaN or infinite vertex positions")
        visual: Any = mesh.visual
        material = getattr(visual, "material", None)
        if material is None:
            continue
        image = getattr(material, "image", None)
        if image is not None and max(image.size) > TEXTURE_SIDE:
            image.thumbnail((TEXTURE_SIDE, TEXTURE_SIDE))
        pbr = material.to_pbr() if hasattr(material, "to_pbr") else material
        if isinstance(pbr, PBRMaterial):
            pbr.roughnessFactor = 1.0
            pbr.metallicFactor = 0.0
            visual.material = pbr
    out_path.write_bytes(scene.export(file_type="glb"))


if __name__ == "__main__":
    child_main(_convert)

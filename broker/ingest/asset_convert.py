"""A 3D file the converter reads (STL, PLY, COLLADA, a bare OBJ, USD, FBX, ...) → GLB.

The converter (:func:`exchange.asset.convert`) builds the whole asset in memory through
trimesh, pycollada or pxr, so it runs in a bounded child process
(:mod:`broker.ingest.bounded`: address-space cap, deadline, a few at once), never in the
API process, which does not even import the readers. Which suffixes it reads is the
converter's own answer (:data:`exchange.formats.READ_SUFFIXES`), so a reader added to
:func:`exchange.asset.read_asset` is accepted at upload without a change here.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from broker.ingest.bounded import child_main, run_bounded
from broker.ingest.limits import ModelLimits
from exchange.errors import AssetInvalid

UNSAFE_NAME = re.compile(r"[^\w.-]")


def convert_to_glb(
    upload: Path,
    filename: str,
    out: Path,
    work: Path,
    limits: ModelLimits,
    *,
    blender_python: Path | None,
) -> None:
    """``upload`` (named ``filename`` by its client) as a GLB at ``out``; ModelInvalid
    (or ZipTooLarge) with the converter's reason otherwise.

    The upload is linked into ``work``, a folder of its own, under a safe form of its
    name: a reader that follows references (an OBJ's MTL, a COLLADA's images) looks
    only in the file's folder, which then holds nothing but the upload.
    """
    name = Path(filename.replace("\\", "/")).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    source = work / f"{UNSAFE_NAME.sub('_', stem)[:100] or 'model'}{suffix}"
    try:
        os.link(upload, source)
    except OSError:  # a file system without hard links
        shutil.copyfile(upload, source)
    run_bounded(
        __name__,
        {
            "source": str(source),
            "out": str(out),
            "limits": asdict(limits),
            "blender_python": str(blender_python) if blender_python else None,
        },
        memory_bytes=limits.convert_memory_bytes,
        timeout=limits.convert_timeout_seconds,
        concurrency=limits.convert_concurrency,
        what=f"converting the {suffix.lstrip('.').upper()} file",
    )


def _convert(job: dict[str, Any]) -> dict[str, Any]:
    from exchange.asset import convert  # the readers: in this child only

    limits = ModelLimits(**job["limits"])
    source = Path(job["source"])
    try:
        blender = Path(job["blender_python"]) if job["blender_python"] else None
        asset = convert(source, Path(job["out"]), "glb", limits=limits, blender_python=blender)
    except (AssetInvalid, MemoryError):
        raise
    except Exception as exc:  # a reader's library failing in its own way: still a refusal
        kind = source.suffix.lstrip(".").upper()
        raise AssetInvalid(f"the {kind} file cannot be converted ({type(exc).__name__})") from None
    return {"meshes": len(asset.meshes)}


if __name__ == "__main__":
    child_main(_convert)

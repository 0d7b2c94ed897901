"""glTF 2.0 / GLB uploads, checked before they are accepted (and charged).

trimesh accepts truncated chunks, absurd byte lengths, node cycles, out-of-range indices
and infinite positions without complaint; the upload is held instead to the rules the
renderer loads by — :mod:`exchange`'s reader for the container and
:func:`exchange.model_check.check_model` for what the document means — so a file the
renderer would refuse is a 400 here, not a render that fails and is refunded. What the
file would cost the renderer (accessor data, triangles, vertices, texture pixels; docs/api.md,
"Model limits") is judged from its declarations before anything is decoded, and values
are read in bounded chunks.
"""

from __future__ import annotations

from pathlib import Path

from exchange.blobs import Blob
from exchange.gltf import check_file_size, gltf_in_zip, read_gltf
from exchange.limits import AssetLimits
from exchange.model_check import check_model
from exchange.safe_zip import ZipModel
from exchange.uris import NoFiles
from workers.model_support import SUPPORTED_EXTENSIONS


def check_gltf_file(path: Path, limits: AssetLimits, *, binary: bool | None = None) -> None:
    """Validate a GLB (``binary``, default: by suffix) or a .gltf with embedded data."""
    size = check_file_size(path, limits)
    binary = path.suffix.lower() == ".glb" if binary is None else binary
    container = read_gltf(Blob(size, path=path), path.name, limits, binary=binary, files=NoFiles())
    check_model(container, limits, SUPPORTED_EXTENSIONS)


def check_gltf_zip(archive: ZipModel, limits: AssetLimits, work: Path) -> None:
    """Validate the archive's .gltf or .glb, its files extracted under ``work``."""
    check_model(gltf_in_zip(archive, limits, work), limits, SUPPORTED_EXTENSIONS)

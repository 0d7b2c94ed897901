"""FBX → :class:`~exchange.asset.model.Asset`, through Blender's importer in a subprocess.

No Python FBX reader is good enough and Blender's is; but bpy pins numpy<2 and may crash
its process, so it runs in its own interpreter (``blender_python``, the Python of a venv
with bpy: the ``blender_python`` setting) on :mod:`exchange.asset.blender.fbx_to_glb`,
which writes a GLB that the glTF reader then reads — so every rule and limit of an
uploaded glTF holds for what the FBX became. Blender's importer applies the file's axes
and unit scale and its glTF exporter writes Y-up metres, which the asset therefore is.

The subprocess gets a scratch folder holding only a copy of the upload (the FBX and the
images under its folder), no inherited environment, no sockets, a time limit, and its
output size bounded; its images are looked up only inside that copy. Its failures are
refused as :class:`~exchange.errors.AssetInvalid` with a message for the sender (no path,
no traceback); a file Blender does not read (ASCII FBX, FBX before 7.1) as
:class:`~exchange.errors.AssetUnsupported` before Blender starts.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path

from exchange.asset.blender_process import READ_FAILED, run_blender_script
from exchange.asset.gltf_in import read_gltf_asset
from exchange.asset.model import Asset
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.gltf import check_file_size
from exchange.limits import AssetLimits

BINARY_MAGIC = b"Kaydara FBX Binary  \x00"
ASCII_HEAD = b"; FBX "
OLDEST_VERSION = 7100
"""Blender's importer refuses binary FBX before 7.1 (FBX 2011)."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tga", ".bmp", ".tif", ".tiff", ".exr"})
"""What of the upload's folder is copied beside the FBX: the images it may name."""
TIMEOUT_S = 120.0
HINT = (
    "FBX input needs Blender: point the blender_python setting at the Python of a venv "
    "with bpy 5.0 (`make install` builds .venv-blender), or upload glTF/GLB"
)


def read_fbx_asset(
    path: Path, limits: AssetLimits, blender_python: Path | None, timeout_s: float = TIMEOUT_S
) -> Asset:
    """The asset in the binary FBX at ``path``; textures only from ``path``'s folder."""
    if blender_python is None or not Path(blender_python).is_file():
        raise AssetUnsupported(HINT)
    check_file_size(path, limits)
    _check_header(path)
    with tempfile.TemporaryDirectory(prefix="meshfarm-fbx-") as scratch:
        root = Path(scratch)
        upload = root / "upload"
        upload.mkdir()
        src = upload / "model.fbx"
        shutil.copyfile(path, src)
        _copy_images(path.parent, upload, path, limits)
        out = root / "model.glb"
        _run_blender(src, out, root, Path(blender_python), limits, timeout_s)
        if not out.is_file():
            raise AssetInvalid("Blender wrote no model for this FBX file")
        return read_gltf_asset(out, limits)


def _check_header(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(27)
    if head.startswith(BINARY_MAGIC) and len(head) >= 27:
        version = struct.unpack_from("<I", head, 23)[0]
        if version < OLDEST_VERSION:
            raise AssetUnsupported(
                f"FBX version {version} is too old to convert (7100 or later: save it again "
                "as FBX 2011 or newer)"
            )
        return
    if head.lstrip(b"\xef\xbb\xbf").startswith(ASCII_HEAD):
        raise AssetUnsupported(
            "ASCII FBX is not converted (Blender reads binary FBX): export binary FBX"
        )
    raise AssetInvalid("the file is not a binary FBX file")


def _copy_images(folder: Path, dest: Path, model: Path, limits: AssetLimits) -> None:
    """The images under the upload's ``folder`` (no links; within the limits a ZIP's
    content is held to), copied with their relative paths."""
    seen, total = 0, 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
        for name in filenames:
            seen += 1
            if seen > limits.max_zip_entries:  # not an upload's folder: look no further
                return
            file = Path(dirpath) / name
            if file.suffix.lower() not in IMAGE_SUFFIXES or file.is_symlink() or file == model:
                continue
            size = file.stat().st_size
            if total + size > limits.max_unzipped_bytes:
                return
            target = dest / file.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
            total += size


def _run_blender(
    src: Path, out: Path, root: Path, python: Path, limits: AssetLimits, timeout_s: float
) -> None:
    code = run_blender_script(
        python,
        "fbx_to_glb.py",
        [src, out],
        root,
        limits,
        timeout_s,
        missing=HINT,
        slow="converting the FBX file took longer than {seconds:.0f} s",
    )
    if code == READ_FAILED:
        raise AssetInvalid("Blender's FBX importer cannot read this file")
    if code != 0:
        raise AssetInvalid("Blender failed while converting this FBX file")

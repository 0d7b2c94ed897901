""":class:`~exchange.asset.model.Asset` → binary FBX, through Blender's exporter in a
subprocess.

No Python library writes FBX with embedded textures that Unity, Unreal and Maya read;
Blender does. bpy pins numpy<2 and may crash its process, so it runs in its own
interpreter (``blender_python``, the Python of a venv with bpy: the ``blender_python``
setting) on :mod:`exchange.asset.blender.glb_to_fbx`: the asset is written as a GLB by
meshfarm's own writer, which Blender imports and exports as FBX (Y-up, 1 unit = 1 m,
textures embedded). A deployment without Blender still converts to every other target;
an FBX request there is :class:`~exchange.errors.AssetUnsupported` naming what is missing.

The subprocess gets a scratch folder holding only that GLB, no inherited environment, no
sockets, a time limit on its process group and its output size bounded. Its failures are
:class:`~exchange.errors.AssetInvalid` with a message for the sender (no path, no trace).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from exchange.asset.blender_process import READ_FAILED, run_blender_script
from exchange.asset.glb_out import write_glb
from exchange.asset.model import Asset
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.limits import AssetLimits

TIMEOUT_S = 120.0
HINT = (
    "FBX output needs Blender: `make install` builds .venv-blender, or set "
    "MESHFARM_BLENDER_PYTHON to the Python of a venv with bpy 5.0"
)


def write_fbx(
    asset: Asset,
    path: Path,
    blender_python: Path | None,
    timeout_s: float = TIMEOUT_S,
    limits: AssetLimits | None = None,
) -> None:
    """``asset`` as a binary FBX at ``path``, its textures embedded in the file."""
    if blender_python is None or not Path(blender_python).is_file():
        raise AssetUnsupported(HINT)
    limits = limits or AssetLimits()
    with tempfile.TemporaryDirectory(prefix="meshfarm-fbx-out-") as scratch:
        root = Path(scratch)
        src = root / "model.glb"
        write_glb(asset, src)
        out = root / "model.fbx"
        _run_blender(src, out, root, Path(blender_python), limits, timeout_s)
        if not out.is_file():
            raise AssetInvalid("Blender wrote no FBX file for this model")
        shutil.copyfile(out, path)


def _run_blender(
    src: Path, out: Path, root: Path, python: Path, limits: AssetLimits, timeout_s: float
) -> None:
    code = run_blender_script(
        python,
        "glb_to_fbx.py",
        [src, out],
        root,
        limits,
        timeout_s,
        missing=HINT,
        slow="writing the FBX file took longer than {seconds:.0f} s",
    )
    if code == READ_FAILED:
        raise AssetInvalid("Blender could not read the model to write it as FBX")
    if code != 0:
        raise AssetInvalid("Blender failed while writing the FBX file")

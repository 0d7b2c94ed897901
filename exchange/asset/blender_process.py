"""Running one of meshfarm's Blender scripts (:mod:`exchange.asset.blender`) in a process of
its own: the interpreter of a venv with bpy (bpy pins numpy<2 and may crash its process).

The child gets the scratch folder as its home and working directory, no inherited
environment, no core dumps, its written files bounded by the limits, and a time limit on
its whole process group. Its exit codes: 0 done, 3 the input could not be read, anything
else a failure — each turned into a message for the sender by the caller.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from pathlib import Path

from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.limits import AssetLimits

SCRIPTS = Path(__file__).resolve().parent / "blender"
READ_FAILED = 3


def run_blender_script(
    python: Path,
    script: str,
    args: list[Path],
    root: Path,
    limits: AssetLimits,
    timeout_s: float,
    *,
    missing: str,
    slow: str,
) -> int:
    """The exit code of ``script`` run on ``args`` in ``root``; ``missing`` is the refusal
    when the interpreter cannot start, ``slow`` the one past ``timeout_s``."""
    env = {"HOME": str(root), "TMPDIR": str(root), "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}

    def confine() -> None:  # in the child, before Blender starts
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    # absolute, not resolved: a venv's python is a link that must keep its name
    command = [str(Path(python).absolute()), "-I", str(SCRIPTS / script), "--", *map(str, args)]
    with (root / "blender.log").open("wb") as log:
        try:
            proc = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=confine,
                start_new_session=True,
            )
        except OSError:
            raise AssetUnsupported(missing) from None
        try:
            return proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssetInvalid(slow.format(seconds=timeout_s)) from None

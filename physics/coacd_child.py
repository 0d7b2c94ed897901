"""CoACD in a process of its own, so :mod:`physics.collision` can kill it at the deadline.

Run by path under ``python -I`` (no script directory, PYTHONPATH or user site on the
path): it needs only numpy and coacd, whatever the parent's entry point. It reads
``input.npz`` (``vertices``, ``faces``, ``arguments`` as JSON) in the folder it is given
and writes ``output.npz`` there (``vertices_<i>``, ``faces_<i>`` per hull); an error is
its message on stderr and exit status 1. On Linux it asks the kernel to kill it when its
parent dies, so a job killed at its own deadline leaves no CoACD running on as an orphan.
"""

import ctypes
import json
import signal
import sys
from pathlib import Path
from typing import Any

import coacd
import numpy as np

PR_SET_PDEATHSIG = 1


def main(folder: Path) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    coacd.set_log_level("error")
    given = np.load(folder / "input.npz")
    arguments = json.loads(str(given["arguments"]))
    parts = coacd.run_coacd(coacd.Mesh(given["vertices"], given["faces"]), **arguments)
    arrays: dict[str, Any] = {}
    for i, (vertices, faces) in enumerate(parts):
        arrays[f"vertices_{i}"] = np.asarray(vertices, dtype=np.float64)
        arrays[f"faces_{i}"] = np.asarray(faces, dtype=np.int64)
    np.savez(folder / "output.npz", **arrays)


if __name__ == "__main__":
    try:
        main(Path(sys.argv[1]))
    except Exception as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc}")
        sys.exit(1)

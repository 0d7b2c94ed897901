"""The last model a worker process loaded, kept for its next job.

An upload queues the free preview and, usually, the render chosen at upload for the same
model back to back; re-renders of one model come in runs too. With the parsed scene kept,
the next job skips the download and the parse (≈0.3–0.5 s for the DamagedHelmet here,
more from S3). One entry only, so a worker's memory stays flat however many models it
renders. Model keys name immutable objects (a model's file never changes), so the key
and the limits it was loaded under (the settings' ``MESHFARM_*`` model limits) identify
the scene.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exchange.limits import AssetLimits

_lock = threading.Lock()
_last: tuple[tuple[str, AssetLimits], Any] | None = None


def load(key: str, fetch: Callable[[], Path], limits: AssetLimits) -> Any:
    """The scene stored under ``key`` as loaded under ``limits``: the cached one, or
    ``fetch()``-ed and parsed."""
    global _last
    with _lock:
        if _last is not None and _last[0] == (key, limits):
            return _last[1]
    from renderer import load_scene

    scene = load_scene(fetch(), limits)
    with _lock:
        _last = ((key, limits), scene)
    return scene

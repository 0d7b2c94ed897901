"""A small thread pool of its own for the short reads every client's poll makes.

FastAPI runs sync code in one pool of 40 threads, sized for work that may block for long (a
body streamed to disk, a conversion waited for). Short database reads in 40 threads fight
over the GIL each time SQLite hands it back: under 50 polling connections the broker spent
more on that than on the reads (GET /v1/renders/:id under wrk -c50: 330 req/s in 40
threads, 545 in 2; later, 643–664 in 2 and 718–734 in 1, GET /v1/models 480 in 2 and
575–637 in 1). One thread it is: the process is held to one core by the GIL anyway, and a
read here takes a millisecond. The token check and the hot GETs run here; whatever may wait
on a lock or a file stays in FastAPI's pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

QUICK_READ_THREADS = 1

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
# One limiter per event loop (a test's TestClient runs its own), as anyio keeps its default.
_limiter: RunVar[CapacityLimiter] = RunVar("meshfarm_quick_reads")


def _quick_limiter() -> CapacityLimiter:
    try:
        return _limiter.get()
    except LookupError:
        limiter = CapacityLimiter(QUICK_READ_THREADS)
        _limiter.set(limiter)
        return limiter


async def quick_read(fn: Callable[[*Ts], T], *args: *Ts) -> T:
    """``fn(*args)`` in the quick-read pool: only for reads that never wait on a write lock,
    a file or the network beyond the database's own round trip."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=_quick_limiter())

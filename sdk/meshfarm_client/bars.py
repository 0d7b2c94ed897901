"""The command line's progress bars (rich): bytes moving (uploads, downloads) and renders
going through the farm, one bar per render from its ``progress`` and ``eta``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from meshfarm_client._http import poll_pauses
from meshfarm_client.client import Client
from meshfarm_client.models import Render

PHASE_SHARE = {
    "pending": 0,
    "poster-processing": 10,
    "poster-done": 20,
    "video-processing": 90,
    "done": 100,
}
"""A farm without the ``progress`` extension: the bar follows the status alone."""


def transfer_bars(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def transfer(bars: Progress, label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A bar for one file; yields the callback the client reports bytes to."""
    task = bars.add_task(label, total=None)

    def report(done: int, total: int | None) -> None:
        bars.update(task, completed=done, total=total)

    yield report


def _eta(render: Render) -> str:
    if render.status == "done":
        return "done"
    if render.status in ("error", "failed"):
        return render.error_message or render.status
    if render.eta is None:
        return ""
    minutes, seconds = divmod(int(render.eta + 0.5), 60)
    return f"~{minutes}:{seconds:02d} left"


def watch(
    client: Client,
    render_ids: Sequence[str],
    console: Console,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Render]:
    """Bars until every render has ended (done, error or failed); the renders as they
    ended. A KeyboardInterrupt leaves the loop (and the renders) as they are."""
    latest: dict[str, Render] = {}
    with Progress(
        TextColumn("{task.description}", style="bold"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[status]}"),
        TextColumn("{task.fields[eta]}", style="dim"),
        console=console,
    ) as bars:
        tasks: dict[str, TaskID] = {
            rid: bars.add_task(rid, total=100, status="", eta="") for rid in render_ids
        }
        pauses = poll_pauses(first=0.5, factor=1.3, most=5.0)
        while True:
            for rid in render_ids:
                if rid in latest and latest[rid].finished:
                    continue
                render = client.get_render(rid)
                latest[rid] = render
                share = render.progress
                if share is None:
                    share = PHASE_SHARE.get(render.status, 100)
                style = "red" if render.status in ("error", "failed") else ""
                status = f"[{style}]{render.status}[/]" if style else render.status
                bars.update(tasks[rid], completed=share, status=status, eta=_eta(render))
            if all(r.finished for r in latest.values()) and len(latest) == len(render_ids):
                return latest
            sleep(next(pauses))

"""Removes what crashes leave behind, on broker start and then periodically.

A kill -9 lands anywhere: mid-upload (a staging file in the data dir's ``tmp/``), between the
storage write and the commit (a stored model or overlay with no row), in a worker (its
``job-*`` directory), or in a render whose attempts each wrote outputs before it ended in
error. The rule is one: in ``tmp/`` everything, and under ``models/``, ``overlays/``,
``renders/``, ``conversions/``, ``views/`` and ``simready/`` every object that no row
references, is removed once it is older than the grace period — nothing in flight is that
old (an upload's file, a worker's outputs grow as they are written) and a row is committed
within seconds of its object. The objects of a job still in progress are left to it: its
attempts finish or are retried first.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from broker.context import AppContext
from broker.db.models import Conversion, Job, Model, ModelView, Overlay, Render, SimReadyAsset
from broker.jobs.states import UNFINISHED

log = logging.getLogger("meshfarm.janitor")
_CHUNK = 500


@dataclass
class Swept:
    """What one sweep removed: staging entries, and objects by prefix."""

    staging: list[str] = field(default_factory=list)
    objects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _newest_mtime(path: Path) -> float:
    """A directory is as young as the newest thing in it (a worker writing its output)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for child in path.rglob("*"):
            try:
                newest = max(newest, child.lstat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


def sweep_staging(tmp_dir: Path, cutoff: float) -> list[str]:
    removed = []
    for entry in sorted(tmp_dir.iterdir()) if tmp_dir.is_dir() else []:
        try:
            if _newest_mtime(entry) >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue
        removed.append(entry.name)
    return removed


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in ids:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _kept_keys(ctx: AppContext, prefix: str, owners: Iterable[str]) -> tuple[set[str], set[str]]:
    """(keys the owners' rows reference, owners whose every object stays: renders in flight)."""
    referenced: set[str] = set()
    busy: set[str] = set()
    with ctx.sessions() as session:
        for ids in _chunks(owners):
            if prefix == "models":
                referenced.update(
                    session.scalars(select(Model.storage_key).where(Model.id.in_(ids)))
                )
                sources = session.scalars(select(Model.source_key).where(Model.id.in_(ids)))
                referenced.update(key for key in sources if key)  # uploads kept beside a GLB
            elif prefix == "overlays":
                referenced.update(
                    session.scalars(select(Overlay.storage_key).where(Overlay.id.in_(ids)))
                )
            elif prefix == "conversions":
                rows = session.execute(
                    select(Conversion.id, Job.state, Conversion.assets, Conversion.source_key)
                    .join(Job, Job.id == Conversion.job_id)
                    .where(Conversion.id.in_(ids))
                )
                for conversion_id, state, assets, source_key in rows:
                    if state in UNFINISHED:
                        busy.add(conversion_id)
                    referenced.add(source_key)
                    referenced.update(_asset_keys(assets))
            elif prefix == "simready":
                rows = session.execute(
                    select(SimReadyAsset, Job.state)
                    .join(Job, Job.id == SimReadyAsset.job_id)
                    .where(SimReadyAsset.id.in_(ids))
                )
                for row, state in rows:
                    if state in UNFINISHED:
                        busy.add(row.id)
                    if row.source_key:
                        referenced.add(row.source_key)
                    referenced.update(_asset_keys(row.assets))
                    referenced.update(i["key"] for i in (row.input_meta or {}).get("images", []))
            elif prefix == "views":  # owned by the views job: its row's PNGs stay
                rows = session.execute(
                    select(Job.id, Job.state, ModelView.assets)
                    .outerjoin(ModelView, ModelView.job_id == Job.id)
                    .where(Job.id.in_(ids))
                )
                for job_id, state, assets in rows:
                    if state in UNFINISHED:
                        busy.add(job_id)
                    referenced.update(_asset_keys(assets))
            else:
                rows = session.execute(
                    select(Render.id, Job.state, Render.assets)
                    .join(Job, Job.id == Render.job_id)
                    .where(Render.id.in_(ids))
                )
                for render_id, state, assets in rows:
                    if state in UNFINISHED:
                        busy.add(render_id)
                    referenced.update(_asset_keys(assets))
    return referenced, busy


def _asset_keys(assets: dict[str, Any] | None) -> Iterator[str]:
    for asset in (assets or {}).values():
        if isinstance(asset, dict) and isinstance(asset.get("key"), str):
            yield asset["key"]


def sweep_objects(ctx: AppContext, prefix: str, cutoff: float) -> list[str]:
    """Objects under ``prefix/<owner id>/`` older than ``cutoff`` that no row references."""
    old: dict[str, list[str]] = defaultdict(list)
    for obj in ctx.store.list_objects(prefix):
        parts = obj.key.split("/")
        if len(parts) >= 3 and obj.modified < cutoff:
            old[parts[1]].append(obj.key)
    if not old:
        return []
    referenced, busy = _kept_keys(ctx, prefix, old)
    removed = []
    for owner, keys in old.items():
        if owner in busy:
            continue
        for key in keys:
            if key not in referenced:
                ctx.store.delete(key)
                removed.append(key)
    return removed


def sweep(ctx: AppContext, grace_s: float | None = None, now: float | None = None) -> Swept:
    """One pass over the staging area and the object store (``grace_s``: the settings')."""
    grace = ctx.settings.janitor_grace_seconds if grace_s is None else grace_s
    cutoff = (time.time() if now is None else now) - grace
    swept = Swept(staging=sweep_staging(ctx.settings.tmp_dir, cutoff))
    for prefix in ("models", "overlays", "renders", "conversions", "views", "simready"):
        removed = sweep_objects(ctx, prefix, cutoff)
        if removed:
            swept.objects[prefix] = removed
    total = len(swept.staging) + sum(len(v) for v in swept.objects.values())
    if total:
        counts = ", ".join(f"{len(v)} under {k}/" for k, v in swept.objects.items())
        log.info("janitor removed %d staging entries; objects: %s", len(swept.staging), counts)
    return swept


class Janitor:
    """A daemon thread: one sweep at once (broker start), then one every ``interval_s``."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        grace_s: float | None = None,
        interval_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.grace_s = ctx.settings.janitor_grace_seconds if grace_s is None else grace_s
        self.interval_s = (
            ctx.settings.janitor_interval_seconds if interval_s is None else interval_s
        )
        self.sweeps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._loop, name="janitor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                sweep(self.ctx, self.grace_s)
            except Exception:  # a store or DB hiccup: the next round tries again
                log.exception("janitor sweep failed")
            self.sweeps += 1
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

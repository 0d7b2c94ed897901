"""Render records: creation (with their jobs and credits), lookup, dismiss, delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broker.db.models import Job, Model, Render
from broker.errors import InvalidTransition, RenderNotFound
from broker.ids import new_id
from broker.jobs.machine import Guard, move
from broker.jobs.states import UNFINISHED, JobState
from broker.jobs.submit import submit
from broker.security import Principal
from broker.services import clips
from broker.services import models as model_service
from broker.services import overlays as overlay_service
from broker.services.listing import newest_first
from exchange.limits import AssetLimits
from workers.catalogue import PREVIEW_LENGTH
from workers.specs import DatasetSpec, RenderSpec
from workers.storage import ObjectStore

Spec = RenderSpec | DatasetSpec


@dataclass(frozen=True)
class RenderOrder:
    """A render that may be created: its model exists and its spec's inputs are usable."""

    model: Model
    spec: Spec


@dataclass(frozen=True)
class JobFilter:
    """Renders whose job is in one of ``states``, and (for running ones) at ``phase``."""

    state: JobState
    phase: str | None = None
    no_phase: bool = False

    def clause(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = [Job.state == self.state.value]
        if self.phase is not None:
            clauses.append(Job.phase == self.phase)
        if self.no_phase:
            clauses.append(Job.phase.is_(None))
        return and_(*clauses)


def order(
    session: Session,
    store: ObjectStore,
    principal: Principal,
    spec: Spec,
    *,
    limits: AssetLimits,
) -> RenderOrder:
    """Check a render of ``spec`` as it would run: the model, the overlays it names and the
    animation clip; a background overlay's own alignment fills in an unset ``bg_align``."""
    model = model_service.get_model(session, principal, spec.model_id)
    if isinstance(spec, RenderSpec):
        spec = overlay_service.resolve_overlays(session, principal, spec)
        clips.check_animation(spec, store, model.storage_key, model.file_format, limits)
    return RenderOrder(model, spec)


def create_renders(
    session: Session,
    principal: Principal,
    orders: Sequence[RenderOrder],
    *,
    max_attempts: int,
    batch: bool = False,
) -> list[Render]:
    """Create the renders and reserve their total credits atomically (all or nothing)."""
    return _create(session, principal.account_id, orders, max_attempts=max_attempts, batch=batch)


def _create(
    session: Session,
    account_id: str,
    orders: Sequence[RenderOrder],
    *,
    max_attempts: int,
    batch: bool = False,
) -> list[Render]:
    jobs = submit(
        session,
        account_id,
        [o.spec for o in orders],
        by=f"account:{account_id}",
        max_attempts=max_attempts,
    )
    batch_id = new_id() if batch else None
    renders = [
        Render(
            id=new_id(),
            job_id=job.id,
            job=job,
            model_id=o.model.id,
            account_id=account_id,
            is_system_preview=isinstance(o.spec, RenderSpec) and o.spec.preview,
            batch_id=batch_id,
            assets={},
        )
        for o, job in zip(orders, jobs, strict=True)
    ]
    session.add_all(renders)
    session.flush()
    return renders


def create_preview(session: Session, model: Model, *, max_attempts: int) -> Render:
    """The free system preview of an upload: small, short, fast — the integrity check."""
    spec = RenderSpec(model_id=model.id, tier="share", length=PREVIEW_LENGTH, preview=True)
    order = RenderOrder(model, spec)
    return _create(session, model.account_id, [order], max_attempts=max_attempts)[0]


def get_render(session: Session, principal: Principal, render_id: str) -> Render:
    render = session.scalar(
        select(Render).where(
            Render.id == render_id,
            Render.account_id == principal.account_id,
            Render.deleted_at.is_(None),
        )
    )
    if render is None:
        raise RenderNotFound()
    return render


def list_renders(
    session: Session,
    principal: Principal,
    *,
    model_id: str | None,
    where: Sequence[JobFilter] | None,
    limit: int,
    offset: int,
) -> tuple[list[Render], int]:
    query = (
        select(Render)
        .join(Job, Job.id == Render.job_id)
        .where(Render.account_id == principal.account_id, Render.deleted_at.is_(None))
    )
    if model_id is not None:
        query = query.where(Render.model_id == model_id)
    if where is not None:
        query = query.where(or_(*(f.clause() for f in where)))
    return newest_first(session, query, Render, limit=limit, offset=offset)


def renders_of_model(session: Session, model: Model) -> list[Render]:
    return list(
        session.scalars(
            select(Render)
            .where(Render.model_id == model.id, Render.deleted_at.is_(None))
            .order_by(Render.created_at, Render.id)
        ).all()
    )


def dismiss(session: Session, principal: Principal, render: Render) -> Render:
    """A failed render's failure, acknowledged: compare-and-set from ``failed`` only."""
    dismissed = move(
        session,
        render.job_id,
        JobState.DISMISSED,
        Guard((JobState.FAILED,)),
        by=f"account:{principal.account_id}",
    )
    if not dismissed:
        raise InvalidTransition(
            f"Only a failed job can be dismissed (this one is {render.job.state})"
        )
    session.refresh(render.job)
    return render


def delete_render(
    session: Session, store: ObjectStore, principal: Principal, render: Render
) -> None:
    """Permanent: the row and every file under the render's prefix. An unfinished job is
    cancelled (its worker's reports no longer apply); the job and its ledger rows stay."""
    move(
        session,
        render.job_id,
        JobState.CANCELLED,
        Guard(tuple(UNFINISHED)),
        by=f"account:{principal.account_id}",
        message="render deleted",
        lease_owner=None,
        lease_expires_at=None,
    )
    session.delete(render)
    session.flush()
    store.delete_prefix(f"renders/{render.id}")

"""Simulation-ready assets: an uploaded 3D file made into a SimReady USD and an MJCF
package by a simready job, and simulations of finished ones by simulate jobs.

As a conversion's, the upload is stored first (``simready/<id>/source/<safe name>``) and
the row and its job written in one transaction after, so a refused or failed transaction
leaves no row and its stored object is removed again. Credits are the job engine's:
reserved with the job, charged on success, refunded once on failure. A simulation is its
own row (``source_id`` its parent) and job, free, and only of a finished build.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import SimReadyAsset
from broker.errors import (
    InvalidRequest,
    InvalidTransition,
    JobNotFound,
    ServiceUnavailable,
    Unprocessable,
)
from broker.jobs import submit as jobs
from broker.jobs.states import JobState
from broker.services.conversions import Upload, safe_filename, source_format
from workers.generator_client import refusal
from workers.material_providers import known_providers
from workers.specs import SimReadyJobType, SimReadySpec, SimulateSpec, SimulationScene

SIMULATION = "simulate_usd"
USD_PREFIX = "usd/"
MJCF_PREFIX = "mjcf/"


class SourceNotCompleted(InvalidTransition):
    message = "Source job must be completed before simulation"


class SimulationOfSimulation(Unprocessable):
    message = "Cannot simulate a simulation job"


class GeneratorMissing(ServiceUnavailable):
    message = (
        "Generation service unavailable: no generator is configured. An operator sets "
        "MESHFARM_GENERATOR_URL to a self-hosted text/image-to-3D server that speaks "
        "meshfarm's generator contract (docs/physics.md, 'Generators')"
    )


class UnknownMaterialProvider(InvalidRequest):
    message = "Unknown llm_provider"


@dataclass(frozen=True)
class BuildOrder:
    """What the client asked for besides the file (None: the pipeline's default)."""

    target_triangle_count: int | None = None
    threshold: float | None = None
    material_provider: str | None = None
    skip_validation: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)
    """The fields as the client sent them, echoed back."""


@dataclass(frozen=True)
class GenerateOrder:
    """A model to generate: a prompt or 1–4 images (checked by the dialect), and the build's
    options."""

    prompt: str | None
    images: list[Upload]
    build: BuildOrder
    face_limit: int | None = None


@dataclass(frozen=True)
class Output:
    """One stored file of a finished build and its path in a download."""

    name: str
    key: str
    size: int


def check_provider(ctx: AppContext, name: str | None) -> None:
    known = known_providers(ctx.settings)
    if name is not None and name not in known:
        raise UnknownMaterialProvider(
            f"Unknown llm_provider: {name!r}. Available: {', '.join(known)}"
        )


def submit(
    ctx: AppContext,
    account_id: str,
    token_id: str | None,
    upload: Upload,
    order: BuildOrder,
    *,
    input_meta: dict[str, Any] | None = None,
) -> SimReadyAsset:
    """Store the upload and queue its build; the row is returned detached."""
    file_format = source_format(upload.filename)
    check_provider(ctx, order.material_provider)
    asset_id = uuid.uuid4().hex
    source_key = f"simready/{asset_id}/source/{safe_filename(upload.filename, file_format)}"
    with _stored(ctx) as keys:
        size = ctx.store.put_file(source_key, upload.path)
        keys.append(source_key)
        spec = SimReadySpec(
            simready_id=asset_id,
            name=model_name(upload.filename),
            job_type="glb_to_simready",
            target_triangle_count=order.target_triangle_count,
            threshold=order.threshold,
            material_provider=order.material_provider,
            skip_validation=order.skip_validation,
        )
        with transaction(ctx.sessions) as session:
            return _queue(
                session,
                ctx,
                spec,
                account_id=account_id,
                token_id=token_id,
                filename=upload.filename,
                parameters=order.parameters,
                source=(source_key, file_format, size),
                input_meta=input_meta,
            )


def generate(
    ctx: AppContext, account_id: str, token_id: str | None, order: GenerateOrder
) -> SimReadyAsset:
    """Queue a generated build; refused, before any credit is taken, when no generator is
    configured. The images are stored first, as an upload is."""
    if ctx.settings.generator_url is None:
        raise GeneratorMissing()
    if why := refusal(ctx.settings.generator_url, prompt=order.prompt, images=len(order.images)):
        raise Unprocessable(why)
    check_provider(ctx, order.build.material_provider)
    asset_id = uuid.uuid4().hex
    job_type: SimReadyJobType = (
        "text_to_simready"
        if order.prompt
        else "image_to_simready"
        if len(order.images) == 1
        else "multiview_to_simready"
    )
    filename = order.prompt or order.images[0].filename
    stored: list[dict[str, Any]] = []
    with _stored(ctx) as keys:
        for n, image in enumerate(order.images):
            suffix = PurePosixPath(image.filename).suffix.lower().lstrip(".") or "png"
            key = f"simready/{asset_id}/images/{n}-{safe_filename(image.filename, suffix)}"
            size = ctx.store.put_file(key, image.path)
            keys.append(key)
            stored.append({"key": key, "name": image.filename, "size": size, "format": suffix})
        spec = SimReadySpec(
            simready_id=asset_id,
            name=model_name(filename),
            job_type=job_type,
            threshold=order.build.threshold,
            material_provider=order.build.material_provider,
            skip_validation=order.build.skip_validation,
            prompt=order.prompt,
            images=len(order.images),
            face_limit=order.face_limit,
        )
        with transaction(ctx.sessions) as session:
            return _queue(
                session,
                ctx,
                spec,
                account_id=account_id,
                token_id=token_id,
                filename=filename,
                parameters=order.build.parameters,
                input_meta={"images": stored} if stored else None,
            )


def simulate(
    ctx: AppContext, account_id: str, token_id: str | None, parent_id: str, scene: SimulationScene
) -> SimReadyAsset:
    """Queue a simulation of the account's finished build ``parent_id``."""
    with transaction(ctx.sessions) as session:
        parent = get(session, account_id, parent_id)
        if parent.job_type == SIMULATION:
            raise SimulationOfSimulation()
        if parent.job.state != JobState.SUCCEEDED.value or "mjcf_package" not in parent.assets:
            raise SourceNotCompleted()
        spec = SimulateSpec(simready_id=uuid.uuid4().hex, scene=scene)
        return _queue(
            session,
            ctx,
            spec,
            account_id=account_id,
            token_id=token_id,
            filename=parent.filename,
            parameters={"scene": scene},
            source_id=parent.id,
        )


@contextmanager
def _stored(ctx: AppContext) -> Iterator[list[str]]:
    """The object-store keys of a row's inputs, stored before its transaction: removed again
    when anything fails before that transaction commits (no row is left without its files,
    no file without its row)."""
    keys: list[str] = []
    try:
        yield keys
    except BaseException:
        for key in keys:
            ctx.store.delete(key)
        raise


def _queue(
    session: Session,
    ctx: AppContext,
    spec: SimReadySpec | SimulateSpec,
    *,
    account_id: str,
    token_id: str | None,
    filename: str,
    parameters: dict[str, Any],
    source: tuple[str, str, int] | None = None,
    source_id: str | None = None,
    input_meta: dict[str, Any] | None = None,
) -> SimReadyAsset:
    """The row and its job (credits reserved) in the caller's transaction; the row is
    returned detached, its job loaded, for the caller to answer with once it commits."""
    by = f"account:{account_id}"
    (job,) = jobs.submit(session, account_id, [spec], by=by, max_attempts=ctx.settings.max_attempts)
    key, file_format, size = source or (None, None, None)
    job_type: SimReadyJobType | str = (
        spec.job_type if isinstance(spec, SimReadySpec) else SIMULATION
    )
    row = SimReadyAsset(
        id=spec.simready_id,
        job_id=job.id,
        account_id=account_id,
        token_id=token_id,
        job_type=job_type,
        filename=filename[:500],
        source_key=key,
        source_format=file_format,
        source_size=size,
        source_id=source_id,
        parameters=parameters,
        input_meta=input_meta,
        assets={},
    )
    session.add(row)
    session.flush()
    session.refresh(row)  # the job, loaded while the session is open
    session.expunge(row)
    return row


def get(session: Session, account_id: str, asset_id: str) -> SimReadyAsset:
    """One of the account's; another account's is not found, as a missing one."""
    row = session.get(SimReadyAsset, asset_id)
    if row is None or row.account_id != account_id:
        raise JobNotFound()
    return row


def simulations(session: Session, parent: SimReadyAsset) -> list[SimReadyAsset]:
    return list(
        session.scalars(
            select(SimReadyAsset)
            .where(SimReadyAsset.source_id == parent.id)
            .order_by(SimReadyAsset.created_at, SimReadyAsset.id)
        ).all()
    )


def list_assets(
    session: Session,
    account_id: str,
    *,
    job_types: Iterable[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[SimReadyAsset], int]:
    """A page of the account's, newest first, and how many in all; simulations only when
    ``job_types`` names them."""
    types = list(job_types) if job_types else None
    where = [SimReadyAsset.account_id == account_id]
    if types:
        where.append(SimReadyAsset.job_type.in_(types))
    else:
        where.append(SimReadyAsset.job_type != SIMULATION)
    total = session.scalar(select(func.count()).select_from(SimReadyAsset).where(*where))
    rows = session.scalars(
        select(SimReadyAsset)
        .where(*where)
        .order_by(SimReadyAsset.created_at.desc(), SimReadyAsset.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total or 0)


def model_name(filename: str) -> str:
    """What a build's outputs are called: the upload's stem, made safe (a prompt's slug)."""
    return safe_filename(filename, "usd").removesuffix(".usd")


def usd_outputs(row: SimReadyAsset) -> Iterator[Output]:
    """The SimReady USD, then the files it refers to (its textures)."""
    model = (row.assets or {}).get("model")
    if model:
        yield Output(PurePosixPath(model["key"]).name, model["key"], int(model["size"]))
    yield from outputs(row, USD_PREFIX)


def outputs(row: SimReadyAsset, prefix: str) -> Iterator[Output]:
    """The stored files under ``prefix`` (``usd/`` or ``mjcf/``) at their relative paths
    (never outside the bundle)."""
    for name, stored in sorted((row.assets or {}).items()):
        if not name.startswith(prefix):
            continue
        relative = PurePosixPath(name[len(prefix) :])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            continue
        yield Output(str(relative), stored["key"], int(stored["size"]))

"""Conversions: an uploaded 3D file turned into another format by a convert job.

The route has already streamed the upload to a staging file under its size limit; here it
is stored under ``conversions/<id>/source/<safe name>`` first and the conversion row and
its job are written in one transaction after, so a failed transaction leaves no row and
its stored object is removed again. A conversion's state is its job's; one whose input,
target and options were converted before is finished from the conversion cache
(:mod:`broker.services.format_cache`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import ApiToken, Conversion
from broker.errors import InvalidFormat, JobNotFound
from broker.services import format_cache
from broker.services.format_cache import ConvertOptions, NewConversion, cache_key, file_sha256
from exchange.formats import READ_SUFFIXES, file_name
from workers.specs import ConvertTarget

SOURCE_FORMATS = READ_SUFFIXES
"""What the converter reads, by the upload's suffix."""
SIDECAR_PREFIX = "files/"
"""A worker's asset named ``files/<path>`` is a file the converted asset refers to."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ConversionOrder:
    """What the client asked for besides the file."""

    target: ConvertTarget = "usdz"
    y_up: bool = True
    root_xform: bool = True
    webhook_url: str | None = None


@dataclass(frozen=True)
class Upload:
    """A staged upload: where it is on local disk, what the client called it, its size."""

    path: Path
    filename: str
    size: int


@dataclass(frozen=True)
class Output:
    """One stored file of a finished conversion and the path it has in the download."""

    name: str
    key: str
    size: int


def source_format(filename: str) -> str:
    """The upload's format by its suffix; refused before anything is stored."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")
    if suffix not in SOURCE_FORMATS:
        shown = f".{suffix}" if suffix else "no extension"
        raise InvalidFormat(
            f"Unsupported format ({shown}): upload one of "
            + ", ".join(f".{f}" for f in SOURCE_FORMATS)
        )
    return suffix


def stem(filename: str) -> str:
    """The upload's name without folders or suffix (what the converted file is named)."""
    return PurePosixPath(filename.replace("\\", "/")).stem or "model"


def safe_filename(filename: str, file_format: str) -> str:
    """A name fit for an object key: the client's letters, never its folders."""
    name = _UNSAFE.sub("_", stem(filename)).strip("._-")[:100] or "model"
    return f"{name}.{file_format}"


def submit(
    ctx: AppContext,
    account_id: str,
    token_id: str | None,
    upload: Upload,
    order: ConversionOrder,
    admit: Callable[[Session], None] | None = None,
) -> Conversion:
    """Store the upload and queue its conversion; the row is returned detached.

    The upload is hashed while it is on disk: when a finished conversion of the same input,
    target and options is in the cache, this one is its own row and job, finished at once
    with that conversion's outputs and no worker run (format_cache.adopt); else it runs and
    becomes the cache's conversion for its key. ``admit`` runs in the transaction that
    records it, before anything is written (a quota's count), and may refuse it by raising."""
    file_format = source_format(upload.filename)
    options = ConvertOptions(y_up=order.y_up, root_xform=order.root_xform)
    key = cache_key(file_sha256(upload.path), order.target, options)
    conversion_id = str(uuid.uuid4())
    source_key = f"conversions/{conversion_id}/source/{safe_filename(upload.filename, file_format)}"
    size = ctx.store.put_file(source_key, upload.path)
    new = NewConversion(
        account_id=account_id,
        token_id=token_id,
        filename=upload.filename,
        source_key=source_key,
        source_format=file_format,
        source_size=size,
        target=order.target,
        options=options,
        cache_key=key,
        webhook_url=order.webhook_url,
        id=conversion_id,
    )
    try:
        with transaction(ctx.sessions) as session:
            if admit is not None:
                admit(session)
            conversion = format_cache.queue(session, new, ctx.settings.max_attempts)
            format_cache.adopt(session, conversion)
            session.expunge(conversion)
            return conversion
    except BaseException:
        ctx.store.delete(source_key)
        raise


UPLOADED = Conversion.token_id.is_not(None)
"""A conversion of a file a key uploaded — not one the conversion cache made of a stored
model for a download (``?format=``, Thrixel), which has no key."""


def get(session: Session, account_id: str, conversion_id: str) -> Conversion:
    """One of the account's uploaded conversions; another account's is not found, as a
    missing one."""
    conversion = session.get(Conversion, conversion_id)
    if conversion is None or conversion.account_id != account_id or conversion.token_id is None:
        raise JobNotFound()
    return conversion


def list_conversions(
    session: Session, account_id: str, *, limit: int, offset: int
) -> tuple[list[Conversion], int]:
    """A page of the account's uploaded conversions, newest first, and how many in all."""
    mine = (Conversion.account_id == account_id, UPLOADED)
    total = session.scalar(select(func.count()).select_from(Conversion).where(*mine))
    rows = session.scalars(
        select(Conversion)
        .where(*mine)
        .order_by(Conversion.created_at.desc(), Conversion.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total or 0)


def month_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(at: datetime) -> datetime:
    start = month_start(at)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def count_this_month(
    session: Session, token_id: str, at: datetime | None = None, *, lock: bool = False
) -> int:
    """Conversions a key submitted since the start of this calendar month (UTC).

    ``lock`` first locks the key's row until the transaction ends (PostgreSQL; SQLite has
    one writer at a time anyway), so that uploads racing for a key's last conversion are
    counted one after the other, not both against the same total."""
    if lock:
        session.execute(select(ApiToken.id).where(ApiToken.id == token_id).with_for_update())
    since = month_start(at or datetime.now(UTC))
    count = session.scalar(
        select(func.count())
        .select_from(Conversion)
        .where(Conversion.token_id == token_id, Conversion.created_at >= since)
    )
    return int(count or 0)


def converted_name(conversion: Conversion) -> str:
    """The converted file's name in a download: the upload's stem, the target's suffix."""
    return file_name(stem(conversion.filename), conversion.target)


def outputs(conversion: Conversion) -> Iterator[Output]:
    """The stored files a download bundles: the converted asset under its upload's name,
    then the files it refers to at their relative paths (never outside the bundle)."""
    assets = conversion.assets or {}
    asset = assets.get("asset")
    if asset:
        yield Output(converted_name(conversion), asset["key"], int(asset["size"]))
    for name, stored in sorted(assets.items()):
        if not name.startswith(SIDECAR_PREFIX):
            continue
        relative = PurePosixPath(name[len(SIDECAR_PREFIX) :])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            continue
        yield Output(str(relative), stored["key"], int(stored["size"]))

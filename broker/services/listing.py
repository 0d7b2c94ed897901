"""One page of a list query, newest first, with the total the list envelope reports."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def newest_first(
    session: Session, query: Select[Row], entity: Any, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Ordered by creation time, then id, so pages are stable when timestamps tie.

    A page that is not full is the last one, so its total is known without counting:
    the common case of a client polling the first page of a short list saves a query."""
    rows = list(
        session.scalars(
            query.order_by(entity.created_at.desc(), entity.id).limit(limit).offset(offset)
        ).all()
    )
    if limit > 0 and (0 < len(rows) < limit or (offset == 0 and not rows)):
        return rows, offset + len(rows)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return rows, total

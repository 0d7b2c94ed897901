"""One page of a list query, newest first, with the total the list envelope reports."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def newest_first(
    session: Session, query: Select[Row], entity: Any, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Ordered by creation time, then id, so pages are stable when timestamps tie."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(entity.created_at.desc(), entity.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total

"""limit/offset as dx.gl documents them: limit defaults to 50 and is capped at 100."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from fastapi import Query

from broker.dialects.dxgl.schemas import Meta, Page

T = TypeVar("T")

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: int = Query(50, ge=1, description="Page size; values above 100 are capped at 100."),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Paging:
    return Paging(min(limit, MAX_LIMIT), offset)


def page_of(items: list[T], total: int, page: Paging) -> Page[T]:
    """A list envelope whose meta echoes the effective limit and offset."""
    return Page(data=items, meta=Meta(total=total, offset=page.offset, limit=page.limit))

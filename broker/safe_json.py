"""JSON from clients, parsed within bounds the database and the stack can take.

Python's parser recurses once per nesting level and converts integers of any length, so a
body of ``[[[[…`` or a 5000-digit number ends in RecursionError / ValueError (a 500), and a
``\\u0000`` in a string reaches PostgreSQL, which refuses NUL in text (a 500 there only).
Everything a client sends as JSON (request bodies, the ``renderSettings`` form field) goes
through :func:`loads`, which answers ``invalid_request`` for all three, on every database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from broker.errors import InvalidRequest

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64
# NUL is refused by PostgreSQL text; an unpaired surrogate cannot be encoded as UTF-8 at all.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def refuse_bad_text(value: str, where: str) -> None:
    """``invalid_request`` for text no database can store identically (NUL, lone surrogates)."""
    if _BAD_TEXT.search(value):
        raise InvalidRequest(f"{where} contains a NUL character or an unpaired surrogate")


def _number(where: str, convert: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        if len(text) > MAX_NUMBER_CHARS:
            raise InvalidRequest(f"{where}: a number is longer than {MAX_NUMBER_CHARS} characters")
        return convert(text)

    return parse


def _constant(where: str) -> Callable[[str], float]:
    def parse(name: str) -> float:
        raise InvalidRequest(f"{where}: {name} is not valid JSON")

    return parse


def loads(raw: str | bytes, where: str) -> Any:
    """Parse ``raw``; ``json.JSONDecodeError`` for bad syntax (the caller names that error),
    ``invalid_request`` past the limits. ``where`` names the input in messages."""
    try:
        value = json.loads(
            raw,
            parse_int=_number(where, int),
            parse_float=_number(where, float),
            parse_constant=_constant(where),
        )
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = False
    if too_deep or not _within_bounds(value, where):
        raise InvalidRequest(f"{where}: JSON nested deeper than {MAX_DEPTH} levels")
    return value


def _within_bounds(value: Any, where: str) -> bool:
    """Iterative walk (no recursion): depth within MAX_DEPTH, every key and string clean."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            refuse_bad_text(item, where)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return False
            if isinstance(item, dict):
                for key in item:
                    refuse_bad_text(key, where)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return True

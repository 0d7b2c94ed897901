"""JSON from clients, parsed within bounds the database and the stack can take.

Python's parser recurses once per nesting level and converts integers of any length, so a
body of ``[[[[…`` or a 5000-digit number ends in RecursionError / ValueError (a 500), and a
``\\u0000`` in a string reaches PostgreSQL, which refuses NUL in text (a 500 there only).
Everything a client sends as JSON (request bodies, the ``renderSettings`` form field) goes
through :func:`loads` (the bounded parser of exchange.bounded_json, which glTF documents
use too), which answers ``invalid_request`` for all three, on every database.
"""

from __future__ import annotations

import re
from typing import Any

from broker.errors import InvalidRequest
from exchange import bounded_json
from exchange.bounded_json import Bounds, JsonBounds

MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 64
# NUL is refused by PostgreSQL text; an unpaired surrogate cannot be encoded as UTF-8 at all.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def refuse_bad_text(value: str, where: str) -> None:
    """``invalid_request`` for text no database can store identically (NUL, lone surrogates)."""
    if _BAD_TEXT.search(value):
        raise InvalidRequest(f"{where} contains a NUL character or an unpaired surrogate")


def loads(raw: str | bytes, where: str) -> Any:
    """Parse ``raw``; ``json.JSONDecodeError`` for bad syntax (the caller names that error),
    ``invalid_request`` past the limits. ``where`` names the input in messages."""

    def clean(text: str) -> None:
        refuse_bad_text(text, where)

    bounds = Bounds(MAX_DEPTH, MAX_NUMBER_DIGITS, MAX_NUMBER_DIGITS, check_text=clean)
    try:
        return bounded_json.loads(raw, bounds)
    except JsonBounds as exc:
        if exc.broken == "depth":
            raise InvalidRequest(f"{where}: JSON nested deeper than {MAX_DEPTH} levels") from None
        if exc.broken == "number":
            raise InvalidRequest(
                f"{where}: a number has more than {MAX_NUMBER_DIGITS} digits"
            ) from None
        raise InvalidRequest(f"{where}: {exc.text} is not valid JSON") from None

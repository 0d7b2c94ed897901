"""JSON parsed within bounds that the stack, the integer parser and the databases can take.

``json.loads`` recurses once per nesting level (RecursionError ~1000 deep), converts an
integer of any length (ValueError past 4300 digits, and slowly before), and accepts NaN,
Infinity and 1e999 (inf), which JSON itself does not have. :func:`loads` refuses each of
those with a :class:`JsonBounds` naming which bound was broken, so that every reader of
untrusted JSON (a glTF document, a client's request body) words the refusal its own way
instead of re-implementing the walk.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Broken = Literal["depth", "number", "constant", "infinite"]


class JsonBounds(ValueError):
    def __init__(self, broken: Broken, text: str = "") -> None:
        super().__init__(f"{broken}: {text}" if text else broken)
        self.broken = broken
        self.text = text
        """The offending number's text, or the constant's name."""


@dataclass(frozen=True)
class Bounds:
    max_depth: int
    max_int_digits: int
    """Characters of an integer, its sign aside."""
    max_float_digits: int | None = None
    """None: floats of any length (they cannot blow up: the parser is linear in them)."""
    finite: bool = False
    """Refuse floats that overflow to infinity (1e999)."""
    check_text: Callable[[str], None] | None = None
    """Called on every string and key (e.g. to refuse NUL)."""


def _number(limit: int | None, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if limit is not None and len(text.lstrip("-")) > limit:
            raise JsonBounds("number", text)
        return convert(text)

    return parse


def _constant(name: str) -> float:
    raise JsonBounds("constant", name)


def loads(raw: str | bytes, bounds: Bounds) -> Any:
    """Parse ``raw``; JsonBounds past a bound, ``json.JSONDecodeError`` for bad syntax."""
    try:
        value = json.loads(
            raw,
            parse_int=_number(bounds.max_int_digits, int),
            parse_float=_number(bounds.max_float_digits, float),
            parse_constant=_constant,
        )
    except RecursionError:
        raise JsonBounds("depth") from None
    _walk(value, bounds)
    return value


def _walk(value: Any, bounds: Bounds) -> None:
    """One iterative walk (no recursion): depth, finite floats, text."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if bounds.check_text is not None:
                bounds.check_text(item)
        elif isinstance(item, float):
            if bounds.finite and not math.isfinite(item):
                raise JsonBounds("infinite")
        elif isinstance(item, dict | list):
            if depth > bounds.max_depth:
                raise JsonBounds("depth")
            if isinstance(item, dict):
                if bounds.check_text is not None:
                    for key in item:
                        bounds.check_text(key)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)

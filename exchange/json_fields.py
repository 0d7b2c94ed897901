"""Typed reads of glTF JSON fields: integers in range, indices into arrays, numbers and
number arrays, objects and arrays of them.

The JSON parser gives ``Any``; every rule that a field must hold an integer, or name an
existing element, is one of these calls, so the refusal reads the same wherever it is made
(``"bufferViews[2].buffer 5 is out of range (there are 1)"``).
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid

MAX_INDEX = 2**32 - 1


def integer(value: Any, what: str, minimum: int = 0, maximum: int = MAX_INDEX) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AssetInvalid(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value > maximum:
        raise AssetInvalid(f"{what} is {value:,}, more than the {maximum:,} allowed")
    return value


def index(value: Any, items: list[Any], what: str) -> int:
    idx = integer(value, what)
    if idx >= len(items):
        raise AssetInvalid(f"{what} {idx} is out of range (there are {len(items)})")
    return idx


def objects(doc: dict[str, Any], key: str) -> list[Any]:
    """The document's top-level array ``key`` (``[]`` when absent)."""
    return object_list(doc.get(key, []), f"'{key}'")


def number(value: Any, what: str, minimum: float | None = None, *, above: bool = False) -> float:
    """A JSON number (finite: the parser refused the others), at least ``minimum`` (or,
    ``above``, more than it) when one is given."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssetInvalid(f"{what} must be a number, got {value!r}")
    if minimum is not None and (value < minimum or (above and value == minimum)):
        bound = ">" if above else ">="
        raise AssetInvalid(f"{what} must be a number {bound} {minimum:g}, got {value!r}")
    return float(value)


def numbers(value: Any, n: int | None, what: str) -> list[float]:
    """A JSON array of ``n`` numbers (any length when ``n`` is None)."""
    ok = isinstance(value, list) and (n is None or len(value) == n)
    if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise AssetInvalid(f"{what} must be an array of {n or 'some'} numbers")
    return [float(v) for v in value]


def member(parent: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    """``parent[key]`` as an object (``{}`` when absent), named ``what.key`` in a refusal."""
    value = parent.get(key, {})
    if not isinstance(value, dict):
        raise AssetInvalid(f"{what}.{key} must be an object")
    return value


def object_list(value: Any, what: str) -> list[dict[str, Any]]:
    """A JSON array of objects (the field ``what``)."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise AssetInvalid(f"{what} must be an array of objects")
    return value

"""Typed reads of glTF JSON fields: integers in range, indices into arrays, object arrays.

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
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise AssetInvalid(f"'{key}' must be an array of objects")
    return value

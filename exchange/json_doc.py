"""glTF JSON parsed within bounds (exchange.bounded_json): depth, digits, finite numbers,
each broken bound an :class:`AssetInvalid` that says which."""

from __future__ import annotations

import json
from typing import IO, Any

from exchange.bounded_json import Bounds, JsonBounds, loads
from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.limits import AssetLimits

MAX_INT_DIGITS = 20
"""Longer integers cannot be a glTF index, count or offset (2⁶⁴ has 20 digits)."""


def parse_json(raw: bytes, max_depth: int) -> dict[str, Any]:
    """The document object of ``raw``; AssetInvalid saying why when it is not one."""
    bounds = Bounds(max_depth, max_int_digits=MAX_INT_DIGITS, finite=True)
    try:
        doc = loads(raw.decode("utf-8-sig"), bounds)
    except JsonBounds as exc:
        raise AssetInvalid(_why(exc, max_depth)) from None
    except UnicodeDecodeError as exc:
        raise AssetInvalid(f"glTF JSON is not valid UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise AssetInvalid(f"glTF JSON is not valid: {exc}") from None
    if not isinstance(doc, dict):
        raise AssetInvalid("glTF JSON must be an object")
    return doc


def _why(exc: JsonBounds, max_depth: int) -> str:
    if exc.broken == "depth":
        return f"glTF JSON is nested more than {max_depth} levels deep"
    if exc.broken == "number":
        return f"glTF JSON holds a {len(exc.text)}-digit integer"
    if exc.broken == "constant":
        return f"glTF JSON holds {exc.text}, which is not a JSON number"
    return "glTF JSON holds a number too large for a float"


def read_json(fh: IO[bytes], size: int, limits: AssetLimits) -> dict[str, Any]:
    """The document of a .gltf of ``size`` bytes read from ``fh``, within the limits."""
    if size > limits.max_json_bytes:
        raise AssetTooLarge("glTF JSON file is too large")
    return parse_json(fh.read(size), limits.max_json_depth)

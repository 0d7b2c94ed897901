"""glTF JSON parsed within bounds: depth, digits and finite numbers.

``json.loads`` raises RecursionError on JSON nested ~1000 levels deep and ValueError on an
integer of more than 4300 digits, and it happily returns NaN, Infinity and 1e999 (inf),
which JSON itself does not have and the renderer refuses later. Each of those is a
:class:`AssetInvalid` here, with a message that says which bound the file broke.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.limits import AssetLimits

MAX_INT_DIGITS = 20
"""Longer integers cannot be a glTF index, count or offset (2⁶⁴ has 20 digits)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise AssetInvalid(f"glTF JSON holds a {len(text)}-digit integer")
    return int(text)


def _parse_constant(name: str) -> float:
    raise AssetInvalid(f"glTF JSON holds {name}, which is not a JSON number")


def parse_json(raw: bytes, max_depth: int) -> dict[str, Any]:
    """The document object of ``raw``; AssetInvalid saying why when it is not one."""
    try:
        doc = json.loads(
            raw.decode("utf-8-sig"), parse_int=_parse_int, parse_constant=_parse_constant
        )
    except RecursionError:
        raise AssetInvalid(f"glTF JSON is nested more than {max_depth} levels deep") from None
    except UnicodeDecodeError as exc:
        raise AssetInvalid(f"glTF JSON is not valid UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise AssetInvalid(f"glTF JSON is not valid: {exc}") from None
    if not isinstance(doc, dict):
        raise AssetInvalid("glTF JSON must be an object")
    _check_tree(doc, max_depth)
    return doc


def read_json(fh: IO[bytes], size: int, limits: AssetLimits) -> dict[str, Any]:
    """The document of a .gltf of ``size`` bytes read from ``fh``, within the limits."""
    if size > limits.max_json_bytes:
        raise AssetTooLarge("glTF JSON file is too large")
    return parse_json(fh.read(size), limits.max_json_depth)


def _check_tree(doc: dict[str, Any], max_depth: int) -> None:
    """One iterative walk: nesting depth and finite floats (1e999 parses as inf)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise AssetInvalid(f"glTF JSON is nested more than {max_depth} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
            for v in value.values():
                if isinstance(v, float) and not math.isfinite(v):
                    raise AssetInvalid("glTF JSON holds a number too large for a float")
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1))
                elif isinstance(v, float) and not math.isfinite(v):
                    raise AssetInvalid("glTF JSON holds a number too large for a float")

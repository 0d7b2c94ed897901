"""The one bounded JSON parser: every bound refused with what broke it, in linear time."""

from __future__ import annotations

import json
import time

import pytest

from exchange.bounded_json import Bounds, JsonBounds, loads

BOUNDS = Bounds(max_depth=8, max_int_digits=20, finite=True)


@pytest.mark.parametrize(
    ("raw", "broken"),
    [
        ("[" * 100_000 + "]" * 100_000, "depth"),  # past Python's recursion limit
        ("[" * 9 + "]" * 9, "depth"),
        ('{"a":' * 9 + "1" + "}" * 9, "depth"),
        ("1" * 5000, "number"),
        ("-" + "1" * 21, "number"),
        ("[NaN]", "constant"),
        ("[-Infinity]", "constant"),
        ("[1e999]", "infinite"),
    ],
)
def test_each_bound_says_what_broke(raw: str, broken: str) -> None:
    started = time.monotonic()
    with pytest.raises(JsonBounds) as exc:
        loads(raw, BOUNDS)
    assert exc.value.broken == broken
    assert time.monotonic() - started < 1.0


def test_within_bounds_is_plain_json() -> None:
    doc = {"a": [[[[1, -1.5, "x"]]]], "n": -12345678901234567890}
    assert loads(json.dumps(doc), BOUNDS) == doc
    with pytest.raises(json.JSONDecodeError):
        loads("{", BOUNDS)


def test_text_is_checked_in_keys_and_values() -> None:
    seen: list[str] = []
    loads('{"k": ["v", {"k2": "w"}]}', Bounds(8, 20, check_text=seen.append))
    assert sorted(seen) == ["k", "k2", "v", "w"]

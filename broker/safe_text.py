"""Text from clients or from decoders, made safe to log or to show a client."""

from __future__ import annotations

import re
from collections.abc import Iterable


def printable(text: str) -> str:
    """Client-controlled text for a log line: control characters escaped (no forged lines)."""
    return text.encode("unicode_escape").decode("ascii")


def scrub_paths(message: str, roots: Iterable[str]) -> str:
    """Error messages never show where the server keeps files (a decoder's message names
    the staging file it read): any path under one of ``roots`` becomes ``<file>``."""
    for root in sorted({r.rstrip("/") for r in roots if r.strip("/")}, key=len, reverse=True):
        message = re.sub(rf"(?<![\w./-]){re.escape(root)}/[^\s'\"]*", "<file>", message)
    return message

"""Public identifiers: 12 random base62 characters, like dx.gl's (``Ab3kF9x2qL1m``)."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits


def new_id(length: int = 12) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))

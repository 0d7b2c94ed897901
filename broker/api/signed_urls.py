"""Short-lived download links: a path, its expiry and an HMAC of both.

Rigyd's output URLs are fetched without its key ("the URL is signed and short-lived"):
whoever holds the link may read that one object until it expires, and nothing else. The
key is ``url_signing_key``, or one drawn per broker process when unset (links then stop
working at a restart, which a client survives by asking for the job again).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import cache

from workers.config import Settings


@cache
def _process_key() -> bytes:
    return secrets.token_bytes(32)


def _key(settings: Settings) -> bytes:
    return settings.url_signing_key.encode() if settings.url_signing_key else _process_key()


def _mac(settings: Settings, path: str, expires: int) -> str:
    message = f"{path}\n{expires}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def sign(settings: Settings, path: str, now: float | None = None) -> str:
    """``path?expires=…&signature=…``; ``path`` is the URL path, exactly as it will be asked."""
    expires = int(now if now is not None else time.time()) + settings.signed_url_seconds
    return f"{path}?expires={expires}&signature={_mac(settings, path, expires)}"


def valid(settings: Settings, path: str, expires: int, signature: str) -> bool:
    if expires < time.time():
        return False
    return hmac.compare_digest(_mac(settings, path, expires), signature)

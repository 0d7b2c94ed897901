"""Keeps ``?api_key=`` out of the server's access log.

The Refinery lets a key travel in the query string; uvicorn logs every request's full path,
query included, so without this each such request would write the key into the log.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_KEY_IN_QUERY = re.compile(r"(?i)(api_key=)[^&\s]*")


class RedactApiKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _KEY_IN_QUERY.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _KEY_IN_QUERY.sub(r"\1<redacted>", record.msg)
        return True


def redact_access_log() -> None:
    """Idempotent: one filter, however many apps are built in the process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactApiKeys) for f in logger.filters):
        logger.addFilter(RedactApiKeys())

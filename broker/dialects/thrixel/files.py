"""A stored object as a download: streamed, with a single byte range when asked for one
(RFC 9110 §14, as meshfarm's other downloads: an invalid ``Range`` is ignored, an
unsatisfiable one is a 416 with ``Content-Range: bytes */N``), and HEAD unread."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from broker.api.error_handlers import detail_envelope
from broker.api.methods import is_head
from workers.storage import ObjectStore

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_HUGE = 10**18  # past any object size; keeps int() away from 5000-digit numbers


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else _HUGE


def byte_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """The inclusive range to send, None for the whole file (no header, a malformed one,
    several ranges), False when unsatisfiable."""
    match = _RANGE.match((header or "").replace(" ", ""))
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = _number(last)
        return (max(0, size - suffix), size - 1) if suffix > 0 else False
    start = _number(first)
    if last and _number(last) < start:
        return None
    if start >= size:
        return False
    return start, min(_number(last), size - 1) if last else size - 1


def disposition(filename: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


def serve(
    store: ObjectStore, key: str, request: Request, *, media_type: str, filename: str
) -> Response:
    """Raises FileNotFoundError before any byte is sent when the object is not stored."""
    size = store.size(key)
    if size is None:
        raise FileNotFoundError(key)
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": disposition(filename)}
    head = is_head(request)
    wanted = None if head else byte_range(request.headers.get("range"), size)
    if wanted is False:
        message = f"The requested range is not satisfiable: the file has {size} bytes"
        return detail_envelope(416, "range", message, {"Content-Range": f"bytes */{size}"})
    start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
    status = 206 if isinstance(wanted, tuple) else 200
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if head:
        return Response(status_code=status, media_type=media_type, headers=headers)
    body = store.iter_range(key, start, end)
    return StreamingResponse(body, status_code=status, media_type=media_type, headers=headers)

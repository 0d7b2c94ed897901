"""Serving stored objects to clients: one HTTP Range implementation for every store and
every dialect.

Local and S3 objects take the same path (size, then ranged reads), so a client sees the
same answer whichever store the farm uses: RFC 9110 §14 semantics (an invalid ``Range`` is
ignored, an unsatisfiable one is a 416 in the calling dialect's envelope with
``Content-Range: bytes */N``), ``HEAD`` without reading the object, and ZIP bundles
streamed while they are built.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from zipstream import ZIP_STORED, ZipStream

from broker.api.error_handlers import Envelope
from broker.api.methods import is_head
from workers.storage import ObjectStore

# ``private``: every asset answers an authenticated request, so no shared cache may keep it.
IMMUTABLE = "private, max-age=31536000, immutable"
UNSATISFIABLE: Final = "unsatisfiable"
_SPEC = re.compile(r"^(\d*)-(\d*)$")
_HUGE = 10**18  # past any object size; keeps int() away from 5000-digit numbers


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else _HUGE


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The one byte range to send (inclusive), ``UNSATISFIABLE`` (416), or None: send the
    whole object — no header, another unit, a malformed range set (RFC 9110 says to
    ignore it), an empty object, or several ranges (meshfarm sends no multipart ranges)."""
    if header is None or size == 0:
        return None
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    seen = 0
    for raw in specs.split(","):
        spec = raw.strip()
        if not spec:
            continue
        match = _SPEC.match(spec)
        if match is None or spec == "-":
            return None
        seen += 1
        first, last = match.groups()
        if not first:
            suffix = _number(last)
            if suffix > 0:
                ranges.append((max(0, size - suffix), size - 1))
            continue
        start = _number(first)
        if last and _number(last) < start:
            return None
        if start < size:
            ranges.append((start, min(_number(last), size - 1) if last else size - 1))
    if seen == 0:
        return None
    if not ranges:
        return UNSATISFIABLE
    return ranges[0] if len(ranges) == 1 else None


def etag(key: str, size: int) -> str:
    """Stored objects are written once under their key, so key and size identify them."""
    return '"' + hashlib.sha256(f"{key}:{size}".encode()).hexdigest()[:32] + '"'


def content_disposition(filename: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


def serve_object(
    store: ObjectStore,
    key: str,
    request: Request,
    *,
    media_type: str,
    envelope: Envelope,
    filename: str | None = None,
) -> Response:
    """Raises FileNotFoundError when the object is not in the store (a 404 for the caller
    to name), before any byte is sent: never a 200 whose body breaks off. ``envelope`` is
    the calling dialect's, for its 416."""
    size = store.size(key)
    if size is None:
        raise FileNotFoundError(key)
    tag = etag(key, size)
    headers = {"Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes", "ETag": tag}
    if filename:
        headers["Content-Disposition"] = content_disposition(filename)
    wanted = None
    head = is_head(request)
    # Range is defined for GET only (RFC 9110 §14.2); If-Range must match our ETag.
    if not head and request.headers.get("if-range", tag) == tag:
        wanted = parse_range(request.headers.get("range"), size)
    if wanted == UNSATISFIABLE:
        return envelope(
            416,
            "range_not_satisfiable",
            f"The requested range is not satisfiable: the file has {size} bytes",
            {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    status, (start, end) = (206, wanted) if isinstance(wanted, tuple) else (200, (0, size - 1))
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if head:
        return Response(status_code=status, media_type=media_type, headers=headers)
    body = store.iter_range(key, start, end)
    return StreamingResponse(body, status_code=status, media_type=media_type, headers=headers)


def zip_response(
    store: ObjectStore, members: list[tuple[str, dict[str, Any]]], filename: str, request: Request
) -> Response:
    """A ZIP built while it is sent (stored, not deflated: video does not compress).

    Every member is looked up first; a missing one raises FileNotFoundError. Its length is
    known up front, so HEAD answers it without reading a member."""
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for arcname, asset in members:
        size = store.size(asset["key"])
        if size is None:
            raise FileNotFoundError(asset["key"])
        data: Iterable[bytes] = store.iter_range(asset["key"])
        stream.add(data, arcname, size=size)
    headers = {
        "Content-Length": str(len(stream)),
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": IMMUTABLE,
    }
    if is_head(request):
        return Response(media_type="application/zip", headers=headers)
    return StreamingResponse(stream, media_type="application/zip", headers=headers)

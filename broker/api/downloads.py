"""Serving stored objects to clients: HTTP Range from local files or S3, streamed ZIPs.

Local objects go through Starlette's FileResponse (Range, suffix ranges, If-Range, 416).
S3 objects are streamed with ranged GETs, never copied whole into memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.responses import FileResponse, Response, StreamingResponse
from zipstream import ZIP_STORED, ZipStream

from workers.storage import ObjectStore

IMMUTABLE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end) for one satisfiable range, None to ignore the header, False for 416."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multi-range or garbage: serve the whole object
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def serve_object(
    store: ObjectStore,
    key: str,
    *,
    media_type: str,
    range_header: str | None,
    filename: str | None = None,
) -> Response:
    """Raises FileNotFoundError when the object is not in the store (a 404 for the caller
    to name), before any byte is sent: never a 200 whose body breaks off."""
    headers = {"Cache-Control": IMMUTABLE}
    local = store.local_path(key)
    if local is not None:
        return FileResponse(
            local,
            media_type=media_type,
            headers=headers,
            filename=filename,
            content_disposition_type="attachment" if filename else "inline",
        )
    total = store.size(key)
    if total is None:
        raise FileNotFoundError(key)
    headers["Accept-Ranges"] = "bytes"
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    wanted = _parse_range(range_header, total) if range_header else None
    if wanted is False:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{total}"})
    if isinstance(wanted, tuple):
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        headers["Content-Length"] = str(end - start + 1)
        return StreamingResponse(
            store.iter_range(key, start, end),
            status_code=206,
            media_type=media_type,
            headers=headers,
        )
    headers["Content-Length"] = str(total)
    return StreamingResponse(store.iter_range(key), media_type=media_type, headers=headers)


def zip_response(
    store: ObjectStore, members: list[tuple[str, dict[str, Any]]], filename: str
) -> Response:
    """A ZIP built while it is sent (stored, not deflated: video does not compress).

    Every member is looked up first; a missing one raises FileNotFoundError."""
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for arcname, asset in members:
        local = store.local_path(asset["key"])
        if local is not None:
            stream.add_path(str(local), arcname)
            continue
        size = store.size(asset["key"])
        if size is None:
            raise FileNotFoundError(asset["key"])
        data: Iterable[bytes] = store.iter_range(asset["key"])
        stream.add(data, arcname, size=size)
    return StreamingResponse(
        stream,
        media_type="application/zip",
        headers={
            "Content-Length": str(len(stream)),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": IMMUTABLE,
        },
    )

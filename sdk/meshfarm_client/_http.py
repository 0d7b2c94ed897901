"""What the sync and async clients share: the retry policy, one call's description, the
answers' parsing, upload progress and the resumable download's bookkeeping. The clients
themselves only do the I/O (``httpx.Client`` or ``httpx.AsyncClient``)."""

from __future__ import annotations

import email.utils
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

from meshfarm_client.errors import ApiError, RenderFailed, TransportError, api_error
from meshfarm_client.models import Render

M = TypeVar("M", bound=BaseModel)
Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, bytes in all — None when the farm does not say)."""

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "meshfarm-client/0.1"


def base_of(url: str) -> str:
    """The farm's root: ``http://host``, ``http://host/`` and dx.gl's ``…/v1`` alike."""
    root = url.strip().rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class StartOver(Exception):
    """The part on disk cannot be continued (longer than the file): it was removed."""


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; pauses grow ``backoff × 2ⁿ`` (with jitter, at most
    ``max_backoff``), and a ``Retry-After`` from the farm is waited exactly (at most
    ``max_retry_after``)."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 300.0

    def pause(self, attempt: int, after: float | None) -> float:
        if after is not None:
            return min(after, self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling * (0.5 + random.random() / 2)

    def retries(self, response: httpx.Response) -> bool:
        if response.status_code in RETRY_STATUSES:
            return True
        return response.status_code == 409 and _code(response) == "idempotency_in_progress"

    def after_answer(self, attempt: int, response: httpx.Response) -> float | None:
        """Seconds to pause before trying again, or None: the answer is final (a success,
        an error not worth retrying, or the last attempt's) — then raised if an error."""
        if response.is_success or attempt == self.attempts - 1 or not self.retries(response):
            raise_for(response)
            return None
        return self.pause(attempt, retry_after(response))

    def after_failure(self, attempt: int, exc: Exception, what: str) -> float:
        """Seconds to pause after a dropped connection (or a download's retryable error, or
        a part to start over), or the exception to give up with on the last attempt."""
        if isinstance(exc, StartOver):
            return 0.0
        last = attempt == self.attempts - 1
        if isinstance(exc, ApiError):
            if last or exc.status not in RETRY_STATUSES:
                raise exc
            return self.pause(attempt, exc.retry_after)
        if last:
            raise TransportError(f"{what}: {exc}") from exc
        return self.pause(attempt, None)


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def raise_for(response: httpx.Response) -> None:
    """The typed exception of an error answer (its body already read)."""
    if response.is_success:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    raise api_error(response.status_code, body, retry_after(response))


@dataclass
class Call:
    """One API call; ``files`` is rebuilt for every attempt (a retried upload re-reads its
    file from the start). Every POST carries an ``Idempotency-Key``, the same on each
    attempt, so a retry the farm already answered is never run (or charged) twice."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None
    files: Callable[[], dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method == "POST":
            self.headers.setdefault("Idempotency-Key", str(uuid.uuid4()))

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {"method": self.method, "url": self.path}
        request["headers"] = self.headers
        if self.params:
            request["params"] = {k: v for k, v in self.params.items() if v is not None}
        if self.json is not None:
            request["json"] = self.json
        if self.data is not None:
            request["data"] = self.data
        if self.files is not None:
            request["files"] = self.files()
        return request


def data_of(model: type[M], response: httpx.Response) -> M:
    return model.model_validate(response.json()["data"])


def list_of(model: type[M], response: httpx.Response) -> list[M]:
    return [model.model_validate(item) for item in response.json()["data"]]


def final(render: Render) -> Render | None:
    """The render if it is done, None while it runs; an ended failure raises."""
    if render.status == "done":
        return render
    if render.status in ("error", "failed"):
        raise RenderFailed(render.id, render.error_message)
    return None


def poll_pauses(first: float = 1.0, factor: float = 1.5, most: float = 10.0) -> Iterator[float]:
    """Seconds between polls of a render: soon at first, then less and less often."""
    pause = first
    while True:
        yield pause
        pause = min(most, pause * factor)


class ProgressReader:
    """A file read by httpx's multipart encoder, counting what has been read."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        self.raw = raw
        self.total = os.fstat(raw.fileno()).st_size
        self.sent = 0
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.sent += len(chunk)
        if self.progress is not None and chunk:
            self.progress(self.sent, self.total)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def fileno(self) -> int:
        return self.raw.fileno()


WHAT_PATHS = {
    "video": ("video", None),
    "web": ("video", {"quality": "web"}),
    "poster": ("poster", {"quality": "full"}),
    "thumb": ("thumb", None),
    "bundle": ("bundle", None),
    "dataset": ("bundle", None),
}
"""``download(what=…)`` → the render's asset path and query."""


def download_name(render: Render, what: str) -> str:
    if what not in WHAT_PATHS:
        raise ValueError(f"what must be one of {', '.join(WHAT_PATHS)}")
    if what == "dataset" and not render.is_dataset:
        raise ValueError(f"render {render.id} is a video render; it has no dataset")
    video = ".mov" if render.render_settings.get("quality") == "pro" else ".mp4"
    names = {
        "video": f"{render.id}{video}",
        "web": f"{render.id}-web.mp4",
        "poster": f"{render.id}-poster.png",
        "thumb": f"{render.id}-thumb.mp4",
        "bundle": f"{render.id}.zip",
        "dataset": f"{render.id}-dataset.zip",
    }
    return names[what]


@dataclass
class Resumable:
    """A download into ``<dest>.part``: what to ask for (the bytes not yet there, with the
    ETag they came with), and what to do with the answer. Renders never change once done,
    but ``If-Range`` makes sure a stale part is started over rather than spliced."""

    dest: Path

    @property
    def part(self) -> Path:
        return self.dest.with_name(self.dest.name + ".part")

    @property
    def etag_file(self) -> Path:
        return self.dest.with_name(self.dest.name + ".part.etag")

    def have(self) -> int:
        return self.part.stat().st_size if self.part.exists() else 0

    def headers(self) -> dict[str, str]:
        have = self.have()
        if not have:
            return {}
        headers = {"Range": f"bytes={have}-"}
        if self.etag_file.exists():
            headers["If-Range"] = self.etag_file.read_text().strip()
        return headers

    def begin(self, response: httpx.Response) -> tuple[IO[bytes] | None, int, int | None]:
        """(the part opened to write into — None when it already holds everything, the
        bytes already there, the total size). The answer's body is not read here."""
        if response.status_code == 416:
            total = _total_of(response.headers.get("content-range", ""))
            if total is not None and total == self.have():
                return None, total, total
            self.part.unlink(missing_ok=True)
            self.etag_file.unlink(missing_ok=True)
            raise StartOver()
        if response.status_code not in (200, 206):
            response.read()
            raise_for(response)
        etag = response.headers.get("etag")
        if etag:
            self.etag_file.write_text(etag)
        if response.status_code == 206:
            total = _total_of(response.headers.get("content-range", ""))
            return self.part.open("ab"), self.have(), total
        length = response.headers.get("content-length")
        return self.part.open("wb"), 0, int(length) if length else None

    def finish(self) -> Path:
        self.part.replace(self.dest)
        self.etag_file.unlink(missing_ok=True)
        return self.dest


def _total_of(content_range: str) -> int | None:
    _, _, total = content_range.rpartition("/")
    return int(total) if total.isdigit() else None

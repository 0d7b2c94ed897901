"""POST /v1/models/ingest: fetch a GLB/glTF from a URL into a staged upload.

The same guarantees as a multipart upload: streamed to disk while hashed, abandoned the
moment it passes the size limit, one deadline for the whole download (a server that drips
a byte a second is cut off like one that never answers, a name that never resolves too).
It runs on the event loop: a slow download holds no worker thread, so many of them cannot
starve the other requests. The broker fetches on a user's behalf, so by default every
connection, redirect hops included, goes only to the public address its name was vetted for
(``broker.ssrf_guard``).
"""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from broker.errors import FileTooLarge, InvalidFormat, InvalidUrl, UrlTimeout
from broker.ingest.multipart import StagedUpload
from broker.ssrf_guard import AddressRefused, GuardedBackend, guarded_client

MAX_REDIRECTS = 5
GLB_MAGIC = b"glTF"


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    allow_private: bool


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidUrl(f"Malformed URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl("The URL must be an absolute http:// or https:// URL")


def _name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _refuse_zip(url: str) -> None:
    if _name(url).lower().endswith(".zip"):
        raise InvalidFormat("URL ingest supports GLB/glTF only; upload OBJ scans as a ZIP file")


def _file_format(url: str, first_bytes: bytes) -> str:
    """By the URL's extension, else by content: GLB magic, or JSON for .gltf."""
    name = _name(url).lower()
    if name.endswith(".glb"):
        return "glb"
    if name.endswith(".gltf"):
        return "gltf"
    _refuse_zip(url)
    if first_bytes.startswith(GLB_MAGIC):
        return "glb"
    if first_bytes.lstrip().startswith(b"{"):
        return "gltf"
    raise InvalidFormat("The URL does not point to a .glb or .gltf file")


def _filename(url: str, file_format: str) -> str:
    name = _name(url) or "model"
    if not name.lower().endswith(f".{file_format}"):
        name = f"{name}.{file_format}"
    return name


async def fetch_model(
    url: str,
    tmp_dir: Path,
    limits: FetchLimits,
    *,
    network: GuardedBackend | None = None,
    tls: ssl.SSLContext | None = None,
) -> StagedUpload:
    """Download ``url``; raises invalid_url / timeout / file_too_large / invalid_format.
    ``network`` and ``tls`` are for tests (a resolver, an address space and CAs of their own)."""
    deadline = time.monotonic() + limits.timeout_s
    backend = network or GuardedBackend(allow_private=limits.allow_private)
    staged = StagedUpload()
    fd, name = tempfile.mkstemp(prefix="ingest-", dir=tmp_dir)
    staged.path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            async with guarded_client(backend, tls=tls) as client:
                current = url
                for _ in range(MAX_REDIRECTS + 1):
                    _check_url(current)
                    _refuse_zip(current)  # before downloading what would be refused after
                    remaining = max(0.1, deadline - time.monotonic())
                    async with client.stream("GET", current, timeout=remaining) as response:
                        if response.is_redirect and "location" in response.headers:
                            current = urljoin(current, response.headers["location"])
                            continue
                        if response.status_code != 200:
                            raise InvalidUrl(f"The URL answered HTTP {response.status_code}")
                        await _download(response, out, staged, limits.max_bytes, deadline)
                        break
                else:
                    raise InvalidUrl(f"The URL redirects more than {MAX_REDIRECTS} times")
        with staged.path.open("rb") as fh:
            staged.filename = _filename(current, _file_format(current, fh.read(64)))
        return staged
    except AddressRefused as exc:
        staged.discard()
        raise InvalidUrl(str(exc)) from None
    except httpx.TimeoutException:
        staged.discard()
        raise UrlTimeout() from None
    except httpx.HTTPError as exc:
        staged.discard()
        raise InvalidUrl(f"The URL could not be fetched ({type(exc).__name__})") from None
    except BaseException:
        staged.discard()
        raise


async def _download(
    response: httpx.Response, out: IO[bytes], staged: StagedUpload, max_bytes: int, deadline: float
) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FileTooLarge(f"File exceeds the {max_bytes // (1024 * 1024)} MB limit")
    hasher = hashlib.sha256()
    async for chunk in response.aiter_bytes():  # as the bytes arrive: the deadline is checked
        staged.size += len(chunk)
        if staged.size > max_bytes:
            raise FileTooLarge(f"File exceeds the {max_bytes // (1024 * 1024)} MB limit")
        if time.monotonic() > deadline:
            raise UrlTimeout()
        hasher.update(chunk)
        out.write(chunk)  # a few KB to local disk: not worth a thread hop
    staged.sha256 = hasher.hexdigest()

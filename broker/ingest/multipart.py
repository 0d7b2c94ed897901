"""Stream a multipart upload to a staging file while hashing it.

Starlette's form parser spools the whole file before the handler runs; here the file part
goes straight to disk in chunks, the SHA-256 is computed on the way, and the upload is
abandoned the moment it passes the size limit, so memory stays flat whatever the size.
Text fields are bounded in size and in number, and a file sent under another field name is
skipped (not buffered as text) and reported as ``no_file``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from broker.errors import FileTooLarge, InvalidRequest, NoFile
from broker.safe_json import refuse_bad_text

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32


CALLBACKS = (
    "on_part_begin",
    "on_part_data",
    "on_part_end",
    "on_header_field",
    "on_header_value",
    "on_header_end",
    "on_headers_finished",
)
"""The parser events a receiver handles (a method of that name each)."""


def form_boundary(request: Request, file_field: str) -> bytes:
    """The multipart boundary of ``request``; ``no_file`` when it is not a form upload."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise NoFile(f"Expected multipart/form-data with a '{file_field}' field")
    return bytes(params[b"boundary"])


async def feed(request: Request, boundary: bytes, receiver: object) -> None:
    """Stream the body through a parser whose events are ``receiver``'s methods; whatever
    the parser or the receiver raises is the caller's to turn into a refusal."""
    events = {name: getattr(receiver, name) for name in CALLBACKS}
    parser = MultipartParser(boundary, events)  # type: ignore[arg-type]  # a TypedDict of these
    async for chunk in request.stream():
        parser.write(chunk)
    parser.finalize()


def openapi_body(fields: dict[str, dict[str, object]]) -> dict[str, object]:
    """The OpenAPI request body of an upload parsed here: a required ``file`` + text fields
    (the route reads the raw stream, so FastAPI cannot describe it by itself)."""
    properties = {"file": {"type": "string", "format": "binary"}, **fields}
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


@dataclass
class StagedUpload:
    """The upload's file part on local disk plus the small text fields beside it."""

    path: Path | None = None
    filename: str = ""
    size: int = 0
    sha256: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    # Field names that carried a file although only ``file`` may.
    misplaced_files: list[str] = field(default_factory=list)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class PartHeaders:
    """A receiver's part headers, gathered from the parser's header events, and the
    form field name and file name its Content-Disposition gives (names checked as text)."""

    def __init__(self) -> None:
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def disposition(self) -> tuple[str, bytes | None]:
        """(field name, file name or None) of the part whose headers just ended."""
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        refuse_bad_text(name, "A form field name")
        return name, params.get(b"filename")


class _Receiver(PartHeaders):
    def __init__(self, tmp_dir: Path, max_bytes: int) -> None:
        super().__init__()
        self.tmp_dir = tmp_dir
        self.max_bytes = max_bytes
        self.upload = StagedUpload()
        self._hasher = hashlib.sha256()
        self._name = ""
        self._file: IO[bytes] | None = None
        self._field_buf = bytearray()
        self._is_file = False
        self._skipped = False
        self._parts = 0

    def on_part_begin(self) -> None:
        self._headers = {}
        self._field_buf = bytearray()
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise InvalidRequest(f"More than {MAX_PARTS} form fields")

    def on_headers_finished(self) -> None:
        self._name, filename = self.disposition()
        self._is_file = self._name == "file" and filename is not None
        self._skipped = filename is not None and not self._is_file
        if self._skipped:
            self.upload.misplaced_files.append(self._name)
        if self._is_file:
            if self.upload.path is not None:
                raise InvalidRequest("Only one file per upload")
            self.upload.filename = (filename or b"").decode("utf-8", "replace")
            refuse_bad_text(self.upload.filename, "The file name")
            fd, name = tempfile.mkstemp(prefix="upload-", dir=self.tmp_dir)
            self.upload.path = Path(name)
            self._file = os.fdopen(fd, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file and self._file is not None:
            self.upload.size += len(chunk)
            if self.upload.size > self.max_bytes:
                raise FileTooLarge(f"File exceeds the {self.max_bytes // (1024 * 1024)} MB limit")
            self._hasher.update(chunk)
            self._file.write(chunk)
        elif not self._skipped:
            self._field_buf += chunk
            if len(self._field_buf) > MAX_FIELD_BYTES:
                raise InvalidRequest(f"Form field {self._name!r} is too large")

    def on_part_end(self) -> None:
        if self._is_file and self._file is not None:
            self._file.close()
            self._file = None
        elif self._name and not self._skipped:
            value = self._field_buf.decode("utf-8", "replace")
            refuse_bad_text(value, f"Form field {self._name!r}")
            self.upload.fields[self._name] = value

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self.upload.sha256 = self._hasher.hexdigest()


async def receive_upload(request: Request, tmp_dir: Path, max_bytes: int) -> StagedUpload:
    """Parse the request body; raises ``no_file`` / ``file_too_large`` / ``invalid_request``."""
    boundary = form_boundary(request, "file")
    receiver = _Receiver(tmp_dir, max_bytes)
    try:
        await feed(request, boundary, receiver)
    except Exception as exc:
        receiver.close()
        receiver.upload.discard()
        if isinstance(exc, FileTooLarge | InvalidRequest):
            raise
        raise InvalidRequest("Malformed multipart body") from exc
    receiver.close()
    misplaced = receiver.upload.misplaced_files
    if receiver.upload.path is None:
        if misplaced:
            raise NoFile(f"No file in the 'file' field (a file was sent as {misplaced[0]!r})")
        raise NoFile()
    if misplaced:
        receiver.upload.discard()
        raise InvalidRequest(f"Only one file per upload, in 'file' (another in {misplaced[0]!r})")
    return receiver.upload
